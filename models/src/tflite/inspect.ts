/**
 * Prints a TFLite model's ops and tensors: `npx tsx models/src/tflite/inspect.ts FILE [--tensors]`.
 * Meant for debugging the converter, so the output favours grep-ability over beauty.
 */
import { readFileSync } from 'node:fs';
import { readTfliteModel } from './model.ts';
import type { TfliteModel, TfliteOp, TfliteTensor } from './model.ts';

function describeTensor(tensor: TfliteTensor | undefined): string {
  if (tensor === undefined) return '-';
  const constant = tensor.data === undefined ? '' : ' const';
  return `${tensor.name}[${tensor.shape.join('x')}]${constant}`;
}

function describeOptions(op: TfliteOp): string {
  const { kind, ...fields } = op.options;
  return kind === 'none' ? '' : ` ${JSON.stringify(fields)}`;
}

export function describeOp(model: TfliteModel, op: TfliteOp, position: number): string {
  const inputs = op.inputs.map((index) => describeTensor(model.tensors[index])).join(', ');
  const outputs = op.outputs.map((index) => describeTensor(model.tensors[index])).join(', ');
  return `#${position} ${op.type}(${inputs}) -> ${outputs}${describeOptions(op)}`;
}

export function opHistogram(model: TfliteModel): Map<string, number> {
  const counts = new Map<string, number>();
  for (const op of model.ops) counts.set(op.type, (counts.get(op.type) ?? 0) + 1);
  if (model.foldedDequantizeOps > 0) counts.set('DEQUANTIZE (folded)', model.foldedDequantizeOps);
  return counts;
}

function main(argv: readonly string[]): void {
  const file = argv.find((argument) => !argument.startsWith('--'));
  if (file === undefined) {
    console.error('usage: inspect.ts FILE.tflite [--tensors]');
    process.exitCode = 2;
    return;
  }
  const model = readTfliteModel(readFileSync(file));
  console.log(`${file}: schema v${model.version}, "${model.description}"`);
  console.log(`inputs: ${model.inputs.map((index) => describeTensor(model.tensors[index])).join(', ')}`);
  console.log(`outputs: ${model.outputs.map((index) => describeTensor(model.tensors[index])).join(', ')}`);
  console.log('op counts:', Object.fromEntries(opHistogram(model)));
  model.ops.forEach((op, position) => console.log(describeOp(model, op, position)));
  if (argv.includes('--tensors')) {
    for (const tensor of model.tensors) console.log(`t${tensor.index} ${tensor.type} ${describeTensor(tensor)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
