// A separate Node process hosting the built engine worker, so a test can kill a training run the
// hard way (SIGKILL of the whole process, mid-epoch). Started with child_process.fork and
// serialization 'advanced' so typed arrays arrive intact. Messages from the parent:
// { entry, backend, method, payload }; to the parent: { type: 'progress' | 'result', ... }.
import { Worker } from 'node:worker_threads';

process.once('message', ({ entry, backend, method, payload }) => {
  const worker = new Worker(entry);
  worker.on('message', (message) => {
    if (message.id === 1 && message.type === 'result') {
      if (!message.ok) {
        process.send({ type: 'result', ok: false, error: message.error });
        return;
      }
      worker.postMessage({ type: 'call', id: 2, method, payload });
      return;
    }
    if (message.type === 'progress') process.send({ type: 'progress', data: message.data });
    if (message.type === 'result') {
      process.send({ type: 'result', ok: message.ok, value: message.value, error: message.error }, () =>
        process.exit(0),
      );
    }
  });
  worker.postMessage({ type: 'call', id: 1, method: 'init', payload: { backend } });
});
