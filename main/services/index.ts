/**
 * The services, assembled once per host. Every host (Electron window, browser mode, CLI) calls
 * the same handlers through the same Dispatcher. Each domain contributes its handlers from its
 * own folder; the `satisfies` below makes a channel without a handler a compile error.
 */
import type { BackendName } from '../../contract/index';
import { engineHandlers } from '../engine/handlers';
import { EngineSupervisor, type SpawnEngineWorker } from '../engine/supervisor';
import { appHandlers, type AppHandlerOptions } from './app-handlers';
import { Dispatcher, type Handlers } from './dispatcher';
import { demoHandlers } from './demo/handlers';
import { BatchJobs } from './batch/batch-jobs';
import { BatchService } from './batch/batch-service';
import { batchHandlers } from './batch/handlers';
import { EventBus } from './event-bus';
import { ExplainReview } from './explain/explain-review';
import { ExplainService } from './explain/explain-service';
import { explainHandlers } from './explain/handlers';
import { createImagingService, imagingHandlers, type ImagingService } from './imaging/index';
import { imageRemovalHandlers } from './imaging/remove-handlers';
import { labelsHandlers } from './labels/handlers';
import type { ImportImages } from './labels/interchange/dataset-images';
import type { Logger } from './logger';
import { reviewHandlers } from './review/handlers';
import { maskReviewHandlers } from './review/mask-handlers';
import { boxPairReviewHandlers } from './review/box-pair-handlers';
import { BoxPairReviewService } from './review/box-pair-review';
import { MaskReviewService } from './review/mask-review';
import { ReviewService } from './review/review-service';
import { trainingHandlers } from './training/handlers';
import { modelsHandlers } from './training/model-handlers';
import { PrelabelService } from './training/prelabel';
import { ModelUseService } from './training/model-use';
import { TrainedRunService } from './training/trained-runs';
import { TrainingService } from './training/training-service';
import { workspaceHandlers } from './workspace/handlers';
import { RecentWorkspaces } from './workspace/recent';
import { WorkspaceService } from './workspace/workspace-service';

export interface ServiceOptions extends AppHandlerOptions {
  spawnEngine: SpawnEngineWorker;
  log: Logger;
  forcedBackend?: BackendName | null;
  /** The app's settings folder, where the recent workspaces list lives; absent: no list (CLI, tests). */
  settingsDir?: string;
}

export class Services {
  readonly bus = new EventBus();
  readonly engine: EngineSupervisor;
  readonly workspaces: WorkspaceService;
  readonly imaging: ImagingService;
  readonly training: TrainingService;
  readonly batch: BatchService;
  readonly batchJobs: BatchJobs;
  readonly dispatcher: Dispatcher;
  readonly recent: RecentWorkspaces;

  constructor(options: ServiceOptions) {
    this.engine = new EngineSupervisor(
      options.spawnEngine,
      options.log,
      (status) => this.bus.emit('engine.state', status),
      options.forcedBackend ?? null,
    );
    this.workspaces = new WorkspaceService(this.bus, options.version);
    this.recent = new RecentWorkspaces(options.settingsDir ?? null, options.log);
    // Every open, from any window or the launcher, puts the workspace first on the start screen.
    this.bus.subscribe((event, payload) => {
      if (event === 'workspace.changed' && payload) void this.recent.remember((payload as { path: string }).path);
    });
    this.imaging = createImagingService(this.workspaces, options.log, options.host === 'cli');
    this.training = new TrainingService(this.workspaces, this.engine, this.bus, options.log);
    this.batch = new BatchService(this.workspaces, this.engine, this.imaging.pool);
    this.batchJobs = new BatchJobs(this.workspaces, this.batch, this.bus, options.log);
    const importImages: ImportImages = (paths, signal, progress) => this.imaging.import(paths, signal, progress);
    const handlers = {
      ...appHandlers(options),
      ...engineHandlers(this.engine),
      ...workspaceHandlers(this.workspaces, this.recent),
      ...imagingHandlers(this.imaging),
      ...imageRemovalHandlers(this.workspaces),
      ...labelsHandlers(this.workspaces, options.log, importImages),
      ...demoHandlers(this.workspaces, importImages),
      ...trainingHandlers(this.training, new TrainedRunService(this.workspaces, this.engine)),
      ...modelsHandlers(
        new ModelUseService(this.workspaces, this.imaging, this.engine),
        new PrelabelService(this.workspaces, this.imaging, this.engine),
      ),
      ...reviewHandlers(new ReviewService(this.workspaces, this.imaging, this.engine), this.workspaces),
      ...maskReviewHandlers(new MaskReviewService(this.workspaces, this.imaging, this.engine), this.workspaces),
      ...boxPairReviewHandlers(new BoxPairReviewService(this.workspaces, this.imaging, this.engine), this.workspaces),
      ...batchHandlers(this.batch, this.batchJobs, this.workspaces, this.imaging.pool, this.engine),
      ...explainHandlers(
        new ExplainService(this.workspaces, this.imaging, this.engine),
        new ExplainReview(this.workspaces, this.imaging, this.engine),
        this.workspaces,
        this.imaging,
        this.engine,
      ),
    } satisfies Handlers;
    this.dispatcher = new Dispatcher(handlers, options.log);
  }

  async dispose(): Promise<void> {
    await this.training.dispose();
    await this.batchJobs.dispose();
    await this.imaging.close();
    this.workspaces.close();
    await this.engine.dispose();
  }
}
