// A raw worker for bench/dist_check/p6.mjs: posts one small value, then ends.
import { parentPort } from "node:worker_threads";
parentPort.postMessage(42);
