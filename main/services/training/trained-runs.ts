/**
 * What a finished run's model is put to after training: evaluation on a split, exports (and the
 * record of them), and the comparison of each export with the trained model.
 */
import type { ParsedRequestOf, ReplyOf } from '../../../contract/index';
import type { EngineSupervisor } from '../../engine/supervisor';
import type { WorkspaceService } from '../workspace/workspace-service';
import { evaluateRun } from './evaluation';
import { compareRunExports } from './export-comparison';
import { exportRun } from './export-run';
import { recordRunExport, runExports } from './run-exports';
import { RunStore } from './run-store';

export class TrainedRunService {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly engine: EngineSupervisor,
  ) {}

  evaluate(
    request: ParsedRequestOf<'training.evaluate'>,
    signal: AbortSignal,
    progress: (done: number, total: number) => void,
  ): Promise<ReplyOf<'training.evaluate'>> {
    return evaluateRun({
      ws: this.workspaces.require(),
      engine: this.engine,
      runId: request.runId,
      split: request.split,
      splitSource: request.splitSource,
      signal,
      progress,
    });
  }

  async export(
    request: ParsedRequestOf<'training.export'>,
    signal: AbortSignal,
    progress: (done: number, total: number) => void,
  ): Promise<ReplyOf<'training.export'>> {
    const ws = this.workspaces.require();
    const reply = await exportRun({ ws, engine: this.engine, request, signal, progress });
    await recordRunExport(new RunStore(ws).folder(request.runId), request, reply);
    return reply;
  }

  async exports(runId: string): Promise<ReplyOf<'training.exports'>> {
    const store = new RunStore(this.workspaces.require());
    store.require(runId);
    return { exports: (await runExports(store.folder(runId))).exports };
  }

  compareExports(
    runId: string,
    signal: AbortSignal,
    progress: (done: number, total: number) => void,
  ): Promise<ReplyOf<'training.compareExports'>> {
    return compareRunExports({ ws: this.workspaces.require(), engine: this.engine, runId, signal, progress });
  }
}
