// examples/browser/work.js: each Thread runs this in a Web Worker; the Queue arrives live, so this
// module needs no import (a worker does not see the page's import map)
export default function work(n, results) {
  let sum = 0;
  for (let i = 1; i <= 1000 * (n + 1); i++) sum += i;
  results.putSync(`thread ${n} summed 1..${1000 * (n + 1)} = ${sum}`); // a worker may block
}
