// Small onnxruntime-node helper for the style-distillation pipeline (models/training).
//   node models/training/ort.mjs run   MODEL.onnx IN.npy OUT.npy [threads]   # input1 float32 NCHW -> output1
//   node models/training/ort.mjs runmany MODEL.onnx THREADS IN1.npy OUT1.npy [IN2.npy OUT2.npy ...]  # one session
//   node models/training/ort.mjs bench MODEL.onnx H W [runs=20] [threads=2]   # prints JSON {median_ms,...}
// .npy files: little-endian float32, C order (what numpy.save writes for float32 arrays).
import fs from 'node:fs';
import ort from 'onnxruntime-node';

function readNpy(path) {
  const buf = fs.readFileSync(path);
  const hlen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + hlen).toString('latin1');
  if (!header.includes("'<f4'")) throw new Error(`${path}: expected float32 npy, header ${header}`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const off = 10 + hlen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + buf.length));
  return { data, shape };
}

function writeNpy(path, data, shape) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

async function session(model, threads) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all',
  });
}

const [mode, model, ...rest] = process.argv.slice(2);
if (mode === 'run') {
  const [inp, out, threads = '1'] = rest;
  const s = await session(model, Number(threads));
  const { data, shape } = readNpy(inp);
  const r = await s.run({ input1: new ort.Tensor('float32', data, shape) });
  const o = r.output1;
  writeNpy(out, o.data, o.dims);
} else if (mode === 'runmany') {
  const [threads, ...pairs] = rest;
  const s = await session(model, Number(threads));
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const { data, shape } = readNpy(pairs[i]);
    const r = await s.run({ input1: new ort.Tensor('float32', data, shape) });
    writeNpy(pairs[i + 1], r.output1.data, r.output1.dims);
  }
} else if (mode === 'bench') {
  const [H, W, runs = '20', threads = '2'] = rest;
  const s = await session(model, Number(threads));
  const shape = [1, 3, Number(H), Number(W)];
  const data = new Float32Array(shape.reduce((a, b) => a * b));
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761 % 256);
  const feeds = { input1: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t = [];
  for (let i = 0; i < Number(runs); i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(JSON.stringify({ model, H: Number(H), W: Number(W), threads: Number(threads), runs: t.length,
    median_ms: +t[Math.floor(t.length / 2)].toFixed(2), min_ms: +t[0].toFixed(2), max_ms: +t[t.length - 1].toFixed(2) }));
} else {
  console.error('usage: ort.mjs run MODEL IN.npy OUT.npy [threads] | bench MODEL H W [runs] [threads]');
  process.exit(2);
}
