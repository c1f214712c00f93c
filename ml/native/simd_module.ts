/**
 * The bytes of a small WebAssembly module with 128-bit SIMD kernels that imports tfjs-backend-wasm's own
 * linear memory, so it works on tensors where they sit (zero copy), four floats per instruction:
 * element-wise tanh, GELU, GELU's gradient and the AdamW update; row-wise LayerNorm and its gradient,
 * log-softmax (max and Σexp per row; the log is taken by the caller), the log-softmax and softmax
 * gradients; and a strided copy of contiguous runs (Transpose). It is assembled here, in TypeScript,
 * from the few opcodes it needs: no compiler or toolchain at build or run time, and no binary blob in
 * the repo. The JS loops it replaces ran one float at a time (docs/native.md, "Round three").
 *
 * Pointers are byte offsets into the imported memory; byte counts are multiples of 16 (the callers in
 * `simd.ts` and the kernels handle the last `n % 4` elements, or use their JS loops).
 */

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

type Code = number[];
const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

const simd = (op: number): Code => [0xfd, ...uleb(op)];
const get = (i: number): Code => [0x20, ...uleb(i)];
const set = (i: number, v: Code): Code => [...v, 0x21, ...uleb(i)];
/** v128.const with the same 32-bit pattern in all four lanes. */
function splatBits(bits: number): Code {
  const b = [bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, (bits >>> 24) & 0xff];
  return [...simd(0x0c), ...b, ...b, ...b, ...b];
}
const f32Bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
/** v128.const f32x4 with `x` in every lane. */
const k = (x: number): Code => splatBits(f32Bits(x));
/** f32x4.splat of an f32 local (a function parameter). */
const splatLocal = (i: number): Code => [...get(i), ...simd(0x13)];
const bin = (op: number) => (a: Code, b: Code): Code => [...a, ...b, ...simd(op)];
const add = bin(0xe4), sub = bin(0xe5), mul = bin(0xe6), div = bin(0xe7);
// pmin/pmax (one minps/maxps each on x86): pmin(a, b) = b < a ? b : a, so a NaN in `a` stays NaN.
const pmin = bin(0xea), pmax = bin(0xeb);
const ge = bin(0x46), and = bin(0x4e), or = bin(0x50);
const abs = (a: Code): Code => [...a, ...simd(0xe0)];
const sqrt = (a: Code): Code => [...a, ...simd(0xe3)];
/** v128.bitselect: lanes of `a` where `mask` is set, else of `b`. */
const select = (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)];
/** Address of element block `i` (byte offset local) of the array whose base is in local `base`. */
const at = (base: number, i: number): Code => [...get(base), ...get(i), 0x6a];
const load = (base: number, i: number): Code => [...at(base, i), ...simd(0x00), 4, 0];
const store = (base: number, i: number, v: Code): Code => [...at(base, i), ...v, ...simd(0x0b), 4, 0];

/** Eigen's float tanh: a clamped 13/6 rational form; exactly ±1 from |x| ≥ 9.011 as in `tanhInto`. */
function tanhOf(u: number, c: number, x2: number): Code {
  const CLAMP = 7.90531110763549805, SATURATE = 9.011;
  const A = [4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8];
  const A9 = -8.60467152213735e-11, A11 = 2.00018790482477e-13, A13 = -2.76076847742355e-16;
  const B = [4.89352518554385e-3, 2.268434632439e-3, 1.18534705686654e-4, 1.19825839466702e-6];
  const X2 = get(x2);
  const horner = (cs: number[]): Code =>
    cs.slice(0, -1).reduceRight((acc, ci) => add(k(ci), mul(X2, acc)), k(cs[cs.length - 1]));
  return [
    ...set(c, pmin(pmax(get(u), k(-CLAMP)), k(CLAMP))),
    ...set(x2, mul(get(c), get(c))),
    ...select(
      or(and(get(u), splatBits(0x80000000)), k(1)),
      div(mul(get(c), horner([...A, A9, A11, A13])), horner(B)),
      ge(abs(get(u)), k(SATURATE)),
    ),
  ];
}

const C = Math.sqrt(2 / Math.PI), K = 0.044715;

/** An element-wise kernel: one loop over 16-byte blocks, the byte count is its last i32 param. */
interface Fn {
  name: string;
  params: number[];
  /** Number of v128 locals after the params and the loop counter. */
  vlocals: number;
  /** Loop body for the element block at byte offset local `i`; locals numbered from `v0`. */
  body: (i: number, v0: number) => Code;
}

/** A kernel with its own control flow (the row-wise LayerNorm kernels). */
interface RawFn {
  name: string;
  params: number[];
  /** Local declarations after the params: [count, type]. */
  locals: [number, number][];
  code: Code;
}

const FUNCS: Fn[] = [
  {
    // tanh(x: ptr, y: ptr, bytes)
    name: "tanh",
    params: [I32, I32, I32],
    vlocals: 3,
    body: (i, v) => store(1, i, [...set(v, load(0, i)), ...tanhOf(v, v + 1, v + 2)]),
  },
  {
    // gelu(x, y, bytes): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    name: "gelu",
    params: [I32, I32, I32],
    vlocals: 5,
    body: (i, v) => {
      const [x, u, c, x2, t] = [v, v + 1, v + 2, v + 3, v + 4];
      return [
        ...set(x, load(0, i)),
        ...set(u, mul(get(x), add(k(C), mul(k(C * K), mul(get(x), get(x)))))),
        ...set(t, tanhOf(u, c, x2)),
        ...set(x, mul(k(0.5), get(x))),
        ...store(1, i, add(get(x), mul(get(x), get(t)))),
      ];
    },
  },
  {
    // geluGrad(dy, x, dx, bytes): dy·(0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²))
    name: "geluGrad",
    params: [I32, I32, I32, I32],
    vlocals: 6,
    body: (i, v) => {
      const [x, xx, u, c, x2, t] = [v, v + 1, v + 2, v + 3, v + 4, v + 5];
      return [
        ...set(x, load(1, i)),
        ...set(xx, mul(get(x), get(x))),
        ...set(u, mul(get(x), add(k(C), mul(k(C * K), get(xx))))),
        ...set(t, tanhOf(u, c, x2)),
        ...store(
          2,
          i,
          mul(
            load(0, i),
            add(
              mul(k(0.5), add(k(1), get(t))),
              mul(
                mul(mul(k(0.5), get(x)), sub(k(1), mul(get(t), get(t)))),
                add(k(C), mul(k(3 * C * K), get(xx))),
              ),
            ),
          ),
        ),
      ];
    },
  },
  {
    // adamw(p, m, v, g, po, mo, vo, bytes, beta1, beta2, lrOverC1, invC2, eps, decay)
    name: "adamw",
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32],
    vlocals: 3,
    body: (i, v) => {
      const [g, m, vv] = [v, v + 1, v + 2];
      const [b1, b2, lrc1, ic2, eps, decay] = [8, 9, 10, 11, 12, 13];
      return [
        ...set(g, load(3, i)),
        ...set(m, add(mul(splatLocal(b1), load(1, i)), mul(sub(k(1), splatLocal(b1)), get(g)))),
        ...set(vv, add(mul(splatLocal(b2), load(2, i)), mul(sub(k(1), splatLocal(b2)), mul(get(g), get(g))))),
        ...store(5, i, get(m)),
        ...store(6, i, get(vv)),
        ...set(g, load(0, i)), // reuse: p
        ...store(
          4,
          i,
          sub(
            sub(
              get(g),
              div(mul(splatLocal(lrc1), get(m)), add(sqrt(mul(get(vv), splatLocal(ic2))), splatLocal(eps))),
            ),
            mul(splatLocal(decay), get(g)),
          ),
        ),
      ];
    },
  },
];

/** Names of the exported kernels. */
export type SimdFunction =
  | "tanh"
  | "gelu"
  | "geluGrad"
  | "adamw"
  | "layerNorm"
  | "layerNormGrad"
  | "exp"
  | "rowMaxSumExp"
  | "rowSub"
  | "logSoftmaxGrad"
  | "softmaxGrad"
  | "copyRuns";

// --- row-wise kernels (LayerNorm) ------------------------------------------------------------------------

/** `for (j = 0; j < bytes; j += 16) body` with `j` and `bytes` i32 locals. */
function forBytes(j: number, bytes: number, body: Code): Code {
  return [
    0x41,
    0,
    0x21,
    ...uleb(j), // j = 0
    0x02,
    0x40,
    0x03,
    0x40, // block loop
    ...get(j),
    ...get(bytes),
    0x4f,
    0x0d,
    1, // br_if (j >= bytes) out
    ...body,
    ...get(j),
    0x41,
    ...sleb(16),
    0x6a,
    0x21,
    ...uleb(j), // j += 16
    0x0c,
    0,
    0x0b,
    0x0b, // br loop; end; end
  ];
}

/** `for (r = 0, o = 0; r < rows; r++, o += step) body` with i32 locals. */
function forRows(r: number, rows: number, o: number, step: number, body: Code): Code {
  return [
    0x41,
    0,
    0x21,
    ...uleb(r),
    0x41,
    0,
    0x21,
    ...uleb(o),
    0x02,
    0x40,
    0x03,
    0x40,
    ...get(r),
    ...get(rows),
    0x4f,
    0x0d,
    1,
    ...body,
    ...get(r),
    0x41,
    1,
    0x6a,
    0x21,
    ...uleb(r),
    ...get(o),
    ...get(step),
    0x6a,
    0x21,
    ...uleb(o),
    0x0c,
    0,
    0x0b,
    0x0b,
  ];
}

/** v128.load at base + o + j (a row element block). */
const ldRow = (base: number, o: number, j: number): Code => [
  ...get(base),
  ...get(o),
  0x6a,
  ...get(j),
  0x6a,
  ...simd(0x00),
  4,
  0,
];
const stRow = (base: number, o: number, j: number, v: Code): Code => [
  ...get(base),
  ...get(o),
  0x6a,
  ...get(j),
  0x6a,
  ...v,
  ...simd(0x0b),
  4,
  0,
];
/** Sum of the four lanes of v128 local `v` (f32). */
const hsum = (v: number): Code => [
  ...get(v),
  ...simd(0x1f),
  0,
  ...get(v),
  ...simd(0x1f),
  1,
  0x92,
  ...get(v),
  ...simd(0x1f),
  2,
  0x92,
  ...get(v),
  ...simd(0x1f),
  3,
  0x92,
];
const fconst = (x: number): Code => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];

/**
 * Row mean and 1/sqrt(var + eps) of the row at byte offset `o` of `x` into splat v128 locals M and R
 * (two passes: the mean, then the squared deviations, as the JS kernel does).
 */
function rowStats(
  l: { x: number; o: number; j: number; dBytes: number; eps: number; dF: number; acc: number; t: number },
  M: number,
  R: number,
): Code {
  return [
    ...set(l.acc, k(0)),
    ...forBytes(l.j, l.dBytes, set(l.acc, add(get(l.acc), ldRow(l.x, l.o, l.j)))),
    ...set(M, [...hsum(l.acc), ...get(l.dF), 0x95, ...simd(0x13)]),
    ...set(l.acc, k(0)),
    ...forBytes(l.j, l.dBytes, [
      ...set(l.t, sub(ldRow(l.x, l.o, l.j), get(M))),
      ...set(l.acc, add(get(l.acc), mul(get(l.t), get(l.t)))),
    ]),
    // R = splat(1 / sqrt(sum / d + eps))
    ...set(R, [
      ...fconst(1),
      ...hsum(l.acc),
      ...get(l.dF),
      0x95,
      ...get(l.eps),
      0x92,
      0x91,
      0x95,
      ...simd(0x13),
    ]),
  ];
}

/** d as f32 from the row's byte count: f32.convert_i32_u(dBytes >> 2). */
const dFloat = (dBytes: number, dF: number): Code => set(dF, [...get(dBytes), 0x41, 2, 0x76, 0xb3]);

/** layerNorm(x, y, gamma, beta, rows, dBytes, eps): y = (x − mean)·rstd·gamma + beta per row. */
function layerNormFn(): RawFn {
  const [x, y, g, b, rows, dBytes, eps] = [0, 1, 2, 3, 4, 5, 6];
  const [r, o, j] = [7, 8, 9], [acc, t, M, R] = [10, 11, 12, 13], dF = 14;
  const l = { x, o, j, dBytes, eps, dF, acc, t };
  return {
    name: "layerNorm",
    params: [I32, I32, I32, I32, I32, I32, F32],
    locals: [[3, I32], [4, V128], [1, F32]],
    code: [
      ...dFloat(dBytes, dF),
      ...forRows(r, rows, o, dBytes, [
        ...rowStats(l, M, R),
        ...forBytes(
          j,
          dBytes,
          stRow(y, o, j, add(mul(mul(sub(ldRow(x, o, j), get(M)), get(R)), load(g, j)), load(b, j))),
        ),
      ]),
    ],
  };
}

/**
 * layerNormGrad(x, dy, gamma, dx, dgamma, dbeta, rows, dBytes, eps): with x̂ = (x − mean)·rstd and
 * ĝ = dy·gamma, dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)); dgamma += dy·x̂ and dbeta += dy over rows
 * (the caller zeroes dgamma and dbeta).
 */
function layerNormGradFn(): RawFn {
  const [x, dy, g, dx, dg, db, rows, dBytes, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, o, j] = [9, 10, 11];
  const [acc, acc2, t, gy, h, M, R, MG, MGX] = [12, 13, 14, 15, 16, 17, 18, 19, 20];
  const dF = 21;
  const l = { x, o, j, dBytes, eps, dF, acc, t };
  const mean = (v: number): Code => [...hsum(v), ...get(dF), 0x95, ...simd(0x13)];
  return {
    name: "layerNormGrad",
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32],
    locals: [[3, I32], [9, V128], [1, F32]],
    code: [
      ...dFloat(dBytes, dF),
      ...forRows(r, rows, o, dBytes, [
        ...rowStats(l, M, R),
        ...set(acc, k(0)),
        ...set(acc2, k(0)),
        ...forBytes(j, dBytes, [
          ...set(h, mul(sub(ldRow(x, o, j), get(M)), get(R))),
          ...set(gy, ldRow(dy, o, j)),
          ...store(dg, j, add(load(dg, j), mul(get(gy), get(h)))),
          ...store(db, j, add(load(db, j), get(gy))),
          ...set(t, mul(get(gy), load(g, j))),
          ...set(acc, add(get(acc), get(t))),
          ...set(acc2, add(get(acc2), mul(get(t), get(h)))),
        ]),
        ...set(MG, mean(acc)),
        ...set(MGX, mean(acc2)),
        ...forBytes(j, dBytes, [
          ...set(h, mul(sub(ldRow(x, o, j), get(M)), get(R))),
          ...stRow(
            dx,
            o,
            j,
            mul(get(R), sub(sub(mul(ldRow(dy, o, j), load(g, j)), get(MG)), mul(get(h), get(MGX)))),
          ),
        ]),
      ]),
    ],
  };
}

// --- exp and the softmax kernels --------------------------------------------------------------------------

/**
 * e^u for v128 local `u` (Cephes' expf as in sse_mathfun: n = round(u·log2 e), r = u − n·ln 2 in two
 * parts, a degree-5 polynomial, times 2ⁿ built in the exponent bits). u is clamped to [−87.3, 88.37]
 * (so 2ⁿ stays a normal float: e^u for u < −87.3 comes out as about 1e-38 instead of smaller); NaN
 * stays NaN. Uses locals `n` and `r`.
 */
function expOf(u: number, n: number, r: number): Code {
  const P = [
    1.9875691500e-4,
    1.3981999507e-3,
    8.3334519073e-3,
    4.1665795894e-2,
    1.6666665459e-1,
    5.0000001201e-1,
  ];
  const R = get(r);
  const poly = P.slice(1).reduce((acc, c) => add(mul(acc, R), k(c)), k(P[0]));
  return [
    ...set(r, pmin(pmax(get(u), k(-87.3)), k(88.3762626647949))),
    ...set(n, [...mul(get(r), k(Math.LOG2E)), ...simd(0x6a)]), // f32x4.nearest
    ...set(r, sub(sub(get(r), mul(get(n), k(0.693359375))), mul(get(n), k(-2.12194440e-4)))),
    ...mul(
      add(add(mul(mul(poly, R), R), R), k(1)),
      // 2ⁿ: (i32x4.trunc_sat(n) + 127) << 23
      [...get(n), ...simd(0xf8), ...splatBits(127), ...simd(0xae), 0x41, 23, ...simd(0xab)],
    ),
  ];
}

/** Horizontal max of the four lanes of v128 local `v` (f32.max). */
const hmax = (v: number): Code => [
  ...get(v),
  ...simd(0x1f),
  0,
  ...get(v),
  ...simd(0x1f),
  1,
  0x97,
  ...get(v),
  ...simd(0x1f),
  2,
  0x97,
  ...get(v),
  ...simd(0x1f),
  3,
  0x97,
];
const fmax = bin(0xe9);

/** exp(x, y, bytes): element-wise e^x (for tests of `expOf`). */
const expFn: Fn = {
  name: "exp",
  params: [I32, I32, I32],
  vlocals: 3,
  body: (i, v) => store(1, i, [...set(v, load(0, i)), ...expOf(v, v + 1, v + 2)]),
};

/**
 * rowMaxSumExp(x, stats, rows, dBytes): per row, stats[2r] = max and stats[2r+1] = Σ e^(x − max).
 * The caller turns them into log-sum-exp (wasm has no log) for {@link rowSubFn}.
 */
function rowMaxSumExpFn(): RawFn {
  const [x, stats, rows, dBytes] = [0, 1, 2, 3];
  const [r, o, j] = [4, 5, 6], [acc, t, n, rr, M] = [7, 8, 9, 10, 11], m = 12;
  const statAt = [...get(stats), ...get(r), 0x41, 3, 0x74, 0x6a]; // stats + r·8
  return {
    name: "rowMaxSumExp",
    params: [I32, I32, I32, I32],
    locals: [[3, I32], [5, V128], [1, F32]],
    code: forRows(r, rows, o, dBytes, [
      ...set(acc, k(-Infinity)),
      ...forBytes(j, dBytes, set(acc, fmax(get(acc), ldRow(x, o, j)))),
      ...set(m, hmax(acc)),
      ...set(M, [...get(m), ...simd(0x13)]),
      ...set(acc, k(0)),
      ...forBytes(j, dBytes, [
        ...set(t, sub(ldRow(x, o, j), get(M))),
        ...set(acc, add(get(acc), expOf(t, n, rr))),
      ]),
      ...statAt,
      ...get(m),
      0x38,
      2,
      0, // f32.store stats[2r] = max
      ...statAt,
      ...hsum(acc),
      0x38,
      2,
      4, // f32.store stats[2r+1] = sum
    ]),
  };
}

/** rowSub(x, stats, y, rows, dBytes): y = x − stats[2r] per row (log-softmax from log-sum-exp). */
function rowSubFn(): RawFn {
  const [x, stats, y, rows, dBytes] = [0, 1, 2, 3, 4];
  const [r, o, j] = [5, 6, 7], L = 8;
  return {
    name: "rowSub",
    params: [I32, I32, I32, I32, I32],
    locals: [[3, I32], [1, V128]],
    code: forRows(r, rows, o, dBytes, [
      ...set(L, [...get(stats), ...get(r), 0x41, 3, 0x74, 0x6a, 0x2a, 2, 0, ...simd(0x13)]),
      ...forBytes(j, dBytes, stRow(y, o, j, sub(ldRow(x, o, j), get(L)))),
    ]),
  };
}

/**
 * Row-wise softmax gradients from the saved output y:
 * `log`: logSoftmaxGrad(dy, y, dx, rows, dBytes), dx = dy − Σdy·e^y;
 * else softmaxGrad(dy, y, dx, rows, dBytes), dx = y·(dy − Σ dy·y).
 */
function softmaxGradFn(log: boolean): RawFn {
  const [dy, y, dx, rows, dBytes] = [0, 1, 2, 3, 4];
  const [r, o, j] = [5, 6, 7], [acc, S, t, n, rr] = [8, 9, 10, 11, 12];
  return {
    name: log ? "logSoftmaxGrad" : "softmaxGrad",
    params: [I32, I32, I32, I32, I32],
    locals: [[3, I32], [5, V128]],
    code: forRows(r, rows, o, dBytes, [
      ...set(acc, k(0)),
      ...forBytes(
        j,
        dBytes,
        set(acc, add(get(acc), log ? ldRow(dy, o, j) : mul(ldRow(dy, o, j), ldRow(y, o, j)))),
      ),
      ...set(S, [...hsum(acc), ...simd(0x13)]),
      ...forBytes(
        j,
        dBytes,
        log
          ? [
            ...set(t, ldRow(y, o, j)),
            ...stRow(dx, o, j, sub(ldRow(dy, o, j), mul(get(S), expOf(t, n, rr)))),
          ]
          : stRow(dx, o, j, mul(ldRow(y, o, j), sub(ldRow(dy, o, j), get(S)))),
      ),
    ]),
  };
}

// --- transpose: strided copy of contiguous runs ----------------------------------------------------------

/** `for (c = 0; c < n; c++) { body; post }` with i32 locals. */
function countLoop(c: number, n: number, body: Code, post: Code): Code {
  return [
    0x41,
    0,
    0x21,
    ...uleb(c),
    0x02,
    0x40,
    0x03,
    0x40,
    ...get(c),
    ...get(n),
    0x4f,
    0x0d,
    1,
    ...body,
    ...post,
    ...get(c),
    0x41,
    1,
    0x6a,
    0x21,
    ...uleb(c),
    0x0c,
    0,
    0x0b,
    0x0b,
  ];
}
const addTo = (
  local: number,
  step: number,
): Code => [...get(local), ...get(step), 0x6a, 0x21, ...uleb(local)];
const copyLocal = (to: number, from: number): Code => [...get(from), 0x21, ...uleb(to)];

/**
 * copyRuns(src, dst, n0, n1, n2, n3, s0, s1, s2, s3, runBytes): for each (a, b, c, e) < (n0, n1, n2, n3)
 * in order, copies `runBytes` (a multiple of 16) from src + a·s0 + b·s1 + c·s2 + e·s3 to the next place
 * in dst. A transpose whose innermost output axis is contiguous in the input is one call.
 */
function copyRunsFn(): RawFn {
  const [src, dst, n0, n1, n2, n3, s0, s1, s2, s3, run] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [a, b, c, e, p0, p1, p2, p3, d, j] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  const copy = forBytes(j, run, [...at(d, j), ...load(p3, j), ...simd(0x0b), 4, 0]);
  return {
    name: "copyRuns",
    params: Array(11).fill(I32),
    locals: [[10, I32]],
    code: [
      ...copyLocal(p0, src),
      ...copyLocal(d, dst),
      ...countLoop(a, n0, [
        ...copyLocal(p1, p0),
        ...countLoop(b, n1, [
          ...copyLocal(p2, p1),
          ...countLoop(c, n2, [
            ...copyLocal(p3, p2),
            ...countLoop(e, n3, copy, [...addTo(d, run), ...addTo(p3, s3)]),
          ], addTo(p2, s2)),
        ], addTo(p1, s1)),
      ], addTo(p0, s0)),
    ],
  };
}

const ALL: (Fn | RawFn)[] = [
  copyRunsFn(),
  ...FUNCS,
  layerNormFn(),
  layerNormGradFn(),
  expFn,
  rowMaxSumExpFn(),
  rowSubFn(),
  softmaxGradFn(true),
  softmaxGradFn(false),
];

function section(id: number, payload: Code): Code {
  return [id, ...uleb(payload.length), ...payload];
}
const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const name = (s: string): Code => {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
};

/** The function body: `for (i = 0; i < bytes; i += 16) body(i)`; `bytes` is the last i32 param. */
function funcBody(fn: Fn | RawFn): Code {
  if ("code" in fn) {
    const body = [...vec(fn.locals.map(([n, t]) => [...uleb(n), t])), ...fn.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
  const bytesParam = fn.params.lastIndexOf(I32);
  const i = fn.params.length, v0 = i + 1;
  const code: Code = [...forBytes(i, bytesParam, fn.body(i, v0)), 0x0b];
  const locals = vec([[1, I32], [fn.vlocals, V128]].map(([n, t]) => [...uleb(n), t]));
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** Assembles the module (it imports `env.memory`). */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  const types = vec(ALL.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0]));
  const imports = vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]]);
  const funcs = vec(ALL.map((_, i) => uleb(i)));
  const exports = vec(ALL.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const codes = vec(ALL.map(funcBody));
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}
