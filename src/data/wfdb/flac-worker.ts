// Worker side of flac.ts: decodes FLAC streams with @wasm-audio-decoders/flac,
// whose API is asynchronous, and answers each request on the port given in
// workerData, raising a shared flag that the blocked caller waits on.
import { workerData, type MessagePort } from 'node:worker_threads';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import type { FlacReply, FlacRequest } from './flac.js';

// The decoder prints decoding errors with console.error; they come back in the reply instead.
console.error = () => {};

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const decoder = new FLACDecoder();

function answer(reply: FlacReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

port.on('message', (req: FlacRequest) => {
  void (async () => {
    try {
      await decoder.ready;
      const r = await decoder.decodeFile(req.bytes);
      // The decoder returns float32 samples scaled by 1 / (2^(bits-1) - 1). For
      // 8-24 bits, float32 holds k / (2^(bits-1) - 1) closely enough that
      // rounding recovers every integer k exactly (checked over all 2^24
      // 24-bit values); readers verify the result with the header checksums.
      const scale = 2 ** (r.bitDepth - 1) - 1;
      const channels = r.channelData.map((c) => {
        const out = new Int32Array(r.samplesDecoded);
        for (let i = 0; i < out.length; i++) out[i] = Math.round(c[i]! * scale);
        return out;
      });
      answer(
        { ok: true, channels, bitsPerSample: r.bitDepth, nSamples: r.samplesDecoded, errors: r.errors.map((e) => e.message) },
        channels.map((c) => c.buffer as ArrayBuffer),
      );
    } catch (e) {
      answer({ ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
