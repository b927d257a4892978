/**
 * Decode time per transfer syntax and import throughput, beside DCMTK's dcm2pnm (dcmj2pnm /
 * dcml2pnm for compressed syntaxes, which plain dcm2pnm cannot read) and GDCM's `gdcmconv --raw`
 * for JPEG 2000, on the same 512 × 512 files in the same run. Printed as ratios; not a test.
 *
 * Loupe is timed in-process (decode only) and through `loupe decode` (a whole process, as the
 * peers are); peers always pay their process start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { it } from 'vitest';
import { transferSyntaxNamed } from '../ml/decode/dicom/transfer-syntax';
import { decodeFile } from '../ml/decode/index';
import { CallSession } from '../main/services/dispatcher';
import { ensureImagingFixtures, type DicomFixture } from '../tests/fixtures/imaging/generate';
import { LOUPE_BIN } from '../tests/helpers/cli';
import { realServices } from '../tests/helpers/services';
import { median } from './stats';

/** Image size: a typical CT slice. */
const SIZE = 512;
/** In-process decodes per file (median reported). */
const REPEATS = 7;

function timeProcess(command: string, args: string[]): number {
  const start = performance.now();
  execFileSync(command, args, { stdio: 'ignore' });
  return performance.now() - start;
}

function peerFor(fixture: DicomFixture, out: string): { name: string; command: string; args: string[] } {
  const uid = fixture.transferSyntaxUID;
  if (uid.startsWith('1.2.840.10008.1.2.4.9'))
    return { name: 'gdcmconv --raw', command: 'gdcmconv', args: ['--raw', fixture.file, `${out}.dcm`] };
  if (uid.startsWith('1.2.840.10008.1.2.4.8'))
    return { name: 'dcml2pnm', command: 'dcml2pnm', args: [fixture.file, `${out}.pnm`] };
  if (
    uid.startsWith('1.2.840.10008.1.2.4.5') ||
    uid.startsWith('1.2.840.10008.1.2.4.7') ||
    uid === '1.2.840.10008.1.2.5'
  ) {
    return { name: 'dcmj2pnm', command: 'dcmj2pnm', args: [fixture.file, `${out}.pnm`] };
  }
  return { name: 'dcm2pnm', command: 'dcm2pnm', args: [fixture.file, `${out}.pnm`] };
}

it('benchmarks decoding and import', async () => {
  const fixtures = await ensureImagingFixtures({ rows: SIZE, columns: SIZE });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'loupe-bench-'));
  const singleFrame = fixtures.dicom.filter((f) => f.frames === 1);
  const bySyntax = new Map<string, DicomFixture[]>();
  for (const f of singleFrame) bySyntax.set(f.transferSyntaxUID, [...(bySyntax.get(f.transferSyntaxUID) ?? []), f]);

  const rows: string[][] = [
    [
      'transfer syntax',
      'files',
      'Loupe in-process ms',
      'loupe decode (process) ms',
      'peer',
      'peer ms',
      'peer ÷ Loupe process',
      'peer ÷ Loupe in-process',
    ],
  ];
  for (const [uid, files] of bySyntax) {
    const inProcess: number[] = [];
    const cli: number[] = [];
    const peer: number[] = [];
    let peerName = '';
    for (const fixture of files) {
      const bytes = new Uint8Array(readFileSync(fixture.file));
      await decodeFile(bytes); // Warm-up: codec WASM compiled once per process.
      const times: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        const start = performance.now();
        await decodeFile(bytes);
        times.push(performance.now() - start);
      }
      inProcess.push(median(times));
      cli.push(
        timeProcess(process.execPath, [
          LOUPE_BIN,
          'decode',
          fixture.file,
          '--out',
          path.join(scratch, 'loupe.raw'),
          '--json',
        ]),
      );
      const p = peerFor(fixture, path.join(scratch, 'peer'));
      peerName = p.name;
      peer.push(timeProcess(p.command, p.args));
    }
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    rows.push([
      transferSyntaxNamed(uid),
      String(files.length),
      mean(inProcess).toFixed(2),
      mean(cli).toFixed(0),
      peerName,
      mean(peer).toFixed(1),
      (mean(peer) / mean(cli)).toFixed(2),
      (mean(peer) / mean(inProcess)).toFixed(1),
    ]);
  }

  // Import throughput: every single-frame DICOM file through the real import (workers, hashing,
  // thumbnails, SQLite), against dcm2pnm-family decoding the same files one after another.
  const { services } = realServices();
  const session = new CallSession(services.dispatcher);
  await session.invoke('workspace.open', 'ws', { path: path.join(scratch, 'ws'), create: true }, () => {});
  const importStart = performance.now();
  const reply = await session.invoke('imaging.import', 'import', { paths: singleFrame.map((f) => f.file) }, () => {});
  const importSeconds = (performance.now() - importStart) / 1000;
  await services.dispose();
  if (!reply.ok) throw new Error(reply.error.message);
  const peerStart = performance.now();
  for (const fixture of singleFrame) {
    const p = peerFor(fixture, path.join(scratch, 'peer'));
    execFileSync(p.command, p.args, { stdio: 'ignore' });
  }
  const peerSeconds = (performance.now() - peerStart) / 1000;
  rmSync(scratch, { recursive: true, force: true });

  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  console.log(
    `\nDecode, ${SIZE}×${SIZE}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()} (ratios > 1: Loupe is faster)\n`,
  );
  console.log(rows.map(line).join('\n'));
  const loupeRate = singleFrame.length / importSeconds;
  const peerRate = singleFrame.length / peerSeconds;
  console.log(
    `\nImport of ${singleFrame.length} files: Loupe ${loupeRate.toFixed(1)} images/s (read, SHA-256, decode, thumbnail, SQLite, in the decode worker pool)`,
  );
  console.log(
    `Peer decode of the same files, one process each: ${peerRate.toFixed(1)} images/s · Loupe ÷ peer = ${(loupeRate / peerRate).toFixed(2)}\n`,
  );
});
