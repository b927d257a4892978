/**
 * Entry of the engine worker: a Node worker thread under the web host and CLI, an Electron
 * utilityProcess under the desktop host. Both deliver the same messages; only the port differs.
 */
import { parentPort } from 'node:worker_threads';
import type { FromEngine } from '../../contract/engine/protocol';
import { setFrameReader } from '../data/dataset';
import { EngineRuntime } from './runtime';
import { engineHandlers } from '../methods/index';

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

interface Port {
  /** `transfer`: buffers of the message to move rather than copy, where the host can (a worker thread). */
  send(message: FromEngine, transfer?: ArrayBuffer[]): void;
  listen(handler: (message: unknown) => void): void;
}

function connect(): Port {
  const electronPort = (process as NodeJS.Process & { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return { send: (m) => electronPort.postMessage(m), listen: (h) => electronPort.on('message', (e) => h(e.data)) };
  }
  if (parentPort) {
    const port = parentPort;
    return { send: (m, transfer) => port.postMessage(m, transfer), listen: (h) => port.on('message', h) };
  }
  throw new Error('The Loupe engine must be started as a worker by Loupe itself.');
}

// Datasets from a workspace name their images by path; the imaging decoders read them. Loaded on
// the first read: a batch run's engine gets prepared frames and never decodes, and the decoders
// (sharp and libvips among them) took about 80 ms of CPU at every engine start.
setFrameReader(async (file, frame) => (await import('../decode/frame-reader')).readTrainingFrame(file, frame));
const port = connect();
const runtime = new EngineRuntime(engineHandlers, port.send);
port.listen((message) => runtime.receive(message));
