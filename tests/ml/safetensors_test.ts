import assert from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  f32Tensor,
  type SafeTensor,
  SafetensorsError,
  toFloat32,
} from "../../ml/safetensors.ts";

const code = (c: string) => (e: unknown) => e instanceof SafetensorsError && e.code === c;

Deno.test("encodes the exact byte layout: u64 LE header length, space-padded JSON, LE data", () => {
  const bytes = encodeSafetensors({ a: f32Tensor([2], new Float32Array([1, 2])) }, { format: "pt" });
  const headerJson = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const padded = headerJson + " ".repeat((8 - (headerJson.length % 8)) % 8);
  const view = new DataView(bytes.buffer);
  assert.equal(Number(view.getBigUint64(0, true)), padded.length);
  assert.equal(padded.length % 8, 0);
  assert.equal(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length)), padded);
  assert.deepEqual([...bytes.subarray(8 + padded.length)], [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
});

Deno.test("round trip is bit-exact, including NaN payloads, -0, subnormals and empty tensors", () => {
  const special = new Float32Array([NaN, -0, 1.4e-45, -3.4028234e38, Infinity, 0.1]);
  const u32 = new Uint32Array(special.buffer);
  u32[0] = 0x7fc00123; // a NaN with a payload
  const tensors: Record<string, SafeTensor> = {
    "base_model.model.x.lora_B.weight": f32Tensor([3, 2], special),
    "a.empty": f32Tensor([0, 4], new Float32Array(0)),
    "ids": { dtype: "I64", shape: [2], data: new Uint8Array(16).fill(7) },
  };
  const bytes = encodeSafetensors(tensors, { note: "hello" });
  const file = decodeSafetensors(bytes);
  assert.deepEqual(file.metadata, { note: "hello" });
  assert.deepEqual([...file.tensors.keys()].sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const got = file.tensors.get(name)!;
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(got.shape, t.shape);
    assert.deepEqual([...got.data], [...t.data]);
  }
  const back = toFloat32(file.tensors.get("base_model.model.x.lora_B.weight")!);
  assert.deepEqual([...new Uint32Array(back.buffer)], [...u32]);
  assert.deepEqual(encodeSafetensors(file.tensors, file.metadata), bytes);
});

Deno.test("converts F16, BF16 and F64 to float32", () => {
  const f16 = {
    dtype: "F16" as const,
    shape: [3],
    data: new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x35]),
  };
  assert.deepEqual([...toFloat32(f16)], [1, -2, 0.3125]);
  const bf16 = { dtype: "BF16" as const, shape: [2], data: new Uint8Array([0x80, 0x3f, 0x40, 0xc0]) };
  assert.deepEqual([...toFloat32(bf16)], [1, -3]);
  const f64 = { dtype: "F64" as const, shape: [1], data: new Uint8Array(new Float64Array([0.5]).buffer) };
  assert.deepEqual([...toFloat32(f64)], [0.5]);
});

Deno.test("rejects truncated files, bad headers, unknown dtypes and inconsistent offsets", () => {
  const good = encodeSafetensors({
    a: f32Tensor([2], new Float32Array([1, 2])),
    b: f32Tensor([1], new Float32Array([3])),
  });
  assert.throws(() => decodeSafetensors(good.subarray(0, 4)), code("SAFETENSORS_TRUNCATED"));
  assert.throws(() => decodeSafetensors(good.subarray(0, 20)), code("SAFETENSORS_TRUNCATED"));
  assert.throws(() => decodeSafetensors(good.subarray(0, good.length - 1)), code("SAFETENSORS_OFFSETS"));
  const make = (header: unknown, dataBytes: number) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };
  assert.throws(() => decodeSafetensors(make([1, 2], 0)), code("SAFETENSORS_HEADER"));
  assert.throws(
    () => decodeSafetensors(make({ a: { dtype: "F8", shape: [1], data_offsets: [0, 1] } }, 1)),
    code("SAFETENSORS_DTYPE"),
  );
  assert.throws(
    () => decodeSafetensors(make({ a: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, 4)),
    code("SAFETENSORS_OFFSETS"),
  );
  const overlap = {
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
  };
  assert.throws(() => decodeSafetensors(make(overlap, 8)), code("SAFETENSORS_OFFSETS"));
  const hole = { a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } };
  assert.throws(() => decodeSafetensors(make(hole, 8)), code("SAFETENSORS_OFFSETS"));
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  assert.throws(() => decodeSafetensors(huge), code("SAFETENSORS_HEADER"));
  assert.throws(
    () => encodeSafetensors({ a: { dtype: "F32", shape: [3], data: new Uint8Array(4) } }),
    code("SAFETENSORS_OFFSETS"),
  );
});
