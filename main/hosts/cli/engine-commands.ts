import type { Command } from 'commander';
import type { CliContext } from './context';
import { progressLine } from './progress';

export function registerEngineCommands(program: Command, context: () => CliContext): void {
  const engine = program.command('engine').description('The training and inference engine.');

  engine
    .command('info')
    .description('Start the engine and print the backend it chose, with versions and what it tried.')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const info = await context().invoke('engine.info', {});
      if (options.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      console.log(`backend   ${info.backend} (tfjs ${info.tfjsBackend})`);
      console.log(`versions  tfjs ${info.versions.tfjs}, node ${info.versions.node}`);
      console.log(
        `features  simd ${info.features.simd ? 'yes' : 'no'}, threads ${info.features.threads}, cores ${info.features.cores}`,
      );
      if (info.tensorMemoryBytes)
        console.log(
          `memory    tensors up to ${(info.tensorMemoryBytes / 2 ** 30).toFixed(1)} GiB${info.backend === 'onednn' ? ' (LOUPE_TENSOR_MEMORY_GIB sets it)' : ' (the wasm heap)'}`,
        );
      if (info.device)
        console.log(
          `device    ${info.device.name} (${info.device.api === 'opengles' ? 'OpenGL ES' : 'native API'}${info.device.software ? '; software, not a GPU' : ''})`,
        );
      for (const attempt of info.attempts)
        console.log(`tried     ${attempt.backend}: ${attempt.ok ? 'ok' : attempt.reason}`);
    });

  engine
    .command('benchmark')
    .description('Time matrix products on the active backend (GFLOP/s).')
    .option('--size <n>', 'matrix size', (v) => Number(v), 512)
    .option('--iterations <n>', 'timed products', (v) => Number(v), 20)
    .option('--json', 'print JSON')
    .action(async (options: { size: number; iterations: number; json?: boolean }) => {
      const bar = progressLine('benchmark');
      const result = await context().invoke(
        'engine.benchmark',
        { size: options.size, iterations: options.iterations },
        (p) => bar.update(p.done, p.total),
      );
      bar.done();
      if (options.json) console.log(JSON.stringify(result, null, 2));
      else
        console.log(
          `${result.backend}: ${result.gflops.toFixed(1)} GFLOP/s (${result.msPerIteration.toFixed(2)} ms per ${result.size}×${result.size} product)`,
        );
    });
}
