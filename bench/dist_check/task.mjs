// The thread module for bench/dist_check/p6.mjs: a default export returning i + 1.
export default (i) => i + 1;
