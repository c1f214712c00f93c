/**
 * `deno task native-status`: loads tfjs's wasm backend, installs the native kernels and prints the
 * one-line status (exit code 0 either way; the line says whether OpenBLAS is active and why not).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { installNativeKernels } from "./kernels.ts";

if (!(await tf.setBackend("wasm"))) {
  console.error("tfjs wasm backend failed to start (needs --allow-read)");
  Deno.exit(1);
}
console.log(installNativeKernels().summary);
