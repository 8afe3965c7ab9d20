// bench/models/ort.mjs - time one ONNX model in onnxruntime, for
// bench/models: onnxruntime-node (native CPU provider) or onnxruntime-web
// (its WebAssembly build, SIMD, run by node), one thread, in-process loop.
//
//   node ort.mjs ORT_DIR node|web MODEL.onnx INPUT.raw MIN_SECONDS MIN_RUNS MAX_RUNS [OUT]
//
// ORT_DIR is the folder where `npm install --ignore-scripts onnxruntime-node
// onnxruntime-web` was run (never the source tree).  The input is raw
// little-endian float32 for the model's first input, whose shape comes
// from the model.  One untimed warm-up run (its first output is written to
// OUT when given), then timed runs until MIN_SECONDS have passed and
// MIN_RUNS were made, at most MAX_RUNS.  Prints one line:
//
//   ortrun backend=B version=V load_ms=.. runs=N median_us=.. min_us=.. mean_us=..
//          cpu_median_us=..
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const [ortDir, backend, modelPath, inputPath, minSec, minRuns, maxRuns, outPath] =
  process.argv.slice(2);
if (!maxRuns || (backend !== "node" && backend !== "web")) {
  console.error("usage: node ort.mjs ORT_DIR node|web MODEL.onnx INPUT.raw " +
                "MIN_SECONDS MIN_RUNS MAX_RUNS [OUT]");
  process.exit(2);
}

const require = createRequire(join(ortDir, "package.json"));
const pkg = backend === "node" ? "onnxruntime-node" : "onnxruntime-web";
const ort = require(pkg);
const version = JSON.parse(
  readFileSync(join(ortDir, "node_modules", pkg, "package.json"), "utf8")).version;

const opts = { graphOptimizationLevel: "all", executionMode: "sequential" };
if (backend === "node") {
  opts.intraOpNumThreads = 1;
  opts.interOpNumThreads = 1;
  opts.executionProviders = ["cpu"];
} else {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  opts.executionProviders = ["wasm"];
}

const t0 = performance.now();
const session = await ort.InferenceSession.create(readFileSync(modelPath), opts);
const loadMs = performance.now() - t0;

// the first input's shape from the session's metadata when it has one,
// else from the raw size (a square NCHW image is not guessed: fail)
const inName = session.inputNames[0];
let shape = null;
if (session.inputMetadata && session.inputMetadata[0] &&
    session.inputMetadata[0].shape)
  shape = session.inputMetadata[0].shape.map((d) => (typeof d === "number" ? d : 1));
const raw = readFileSync(inputPath);
const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
if (!shape || shape.reduce((a, b) => a * b, 1) !== data.length) {
  console.error(`ort.mjs: cannot tell the shape of input ${inName} (${data.length} values)`);
  process.exit(1);
}
const feeds = { [inName]: new ort.Tensor("float32", data, shape) };

const first = await session.run(feeds);
if (outPath) {
  const out = first[session.outputNames[0]].data;
  writeFileSync(outPath, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
}

// wall time per run, and the process's CPU time (user + system), which
// leaves out the time other processes held the core
const times = [];
const cpus = [];
const start = performance.now();
let sum = 0;
while (times.length < +maxRuns &&
       (times.length < +minRuns || performance.now() - start < +minSec * 1000)) {
  const c = process.cpuUsage();
  const a = performance.now();
  await session.run(feeds);
  const d = performance.now() - a;
  const dc = process.cpuUsage(c);
  times.push(d);
  cpus.push((dc.user + dc.system) / 1000);
  sum += d;
}
const median = (v) => {
  v.sort((a, b) => a - b);
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
};
const n = times.length;
const med = median(times);
const cmed = median(cpus);
console.log(`ortrun backend=${backend} version=${version} load_ms=${loadMs.toFixed(3)} ` +
            `runs=${n} median_us=${(med * 1000).toFixed(2)} ` +
            `min_us=${(times[0] * 1000).toFixed(2)} mean_us=${(sum / n * 1000).toFixed(2)} ` +
            `cpu_median_us=${(cmed * 1000).toFixed(2)}`);
