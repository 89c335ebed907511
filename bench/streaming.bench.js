// Prints what the streaming hot path costs: run with `node bench/streaming.bench.js`.
// Figures are ratios within one run (the machines are noisy), not pass/fail thresholds.
import { parseTags, TagScanner } from '../src/core/parser.js';
import { renderForDisplay } from '../src/core/display.js';

const paragraph = 'The wind shifted as the lanterns flickered along the path, and somewhere a bell counted the hour. ';
const story = Array.from({ length: 400 }, (_, i) => paragraph.repeat(3) + `<img-prompt="scene number ${i}, a \\"quoted\\" > sign, dusk">\n\n`).join('');
const chunk = 4; // characters per streamed token, about what real APIs send

function time(label, fn, repeat = 1) {
    const start = process.hrtime.bigint();
    let result;
    for (let i = 0; i < repeat; i++) result = fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / repeat;
    return { label, ms, result };
}

const tokens = Math.ceil(story.length / chunk);
const full = time('parse the whole story once', () => parseTags(story).length, 5);
const incremental = time(`stream it: TagScanner.feed on each of ${tokens} tokens`, () => {
    const scanner = new TagScanner();
    let found = 0;
    for (let end = chunk; end < story.length + chunk; end += chunk) found += scanner.feed(story.slice(0, end)).length;
    return found;
});
// What polling or re-parsing on every token would cost; sampled every 40th token (x40).
const naive = time('stream it: parseTags of the whole text on each token (sampled, scaled)', () => {
    let found = 0;
    for (let end = chunk; end < story.length + chunk; end += chunk * 40) found = parseTags(story.slice(0, end)).length;
    return found;
});
naive.ms *= 40;
const states = new Map(Array.from({ length: 400 }, (_, i) => [i, { status: 'ready', src: `/user/images/x/${i}.png` }]));
const display = time('renderForDisplay of the whole story (one streaming tick)', () => renderForDisplay(story, states, { hideUnfinished: true }).length, 20);
const plain = 'No tags here. '.repeat(8000);
const fast = time('renderForDisplay of a message without tags (fast path)', () => renderForDisplay(plain, null, { hideUnfinished: true }).length, 200);

console.log(`story: ${(story.length / 1024).toFixed(0)} KiB, ${full.result} tags, streamed in ${tokens} tokens of ${chunk} chars`);
for (const r of [full, incremental, naive, display, fast]) console.log(`${r.ms.toFixed(2).padStart(10)} ms  ${r.label}`);
console.log(`incremental scanning found ${incremental.result} tags (expected ${full.result})`);
console.log(`re-parsing per token costs ${(naive.ms / incremental.ms).toFixed(0)}x the incremental scanner`);
console.log(`per token, the scanner costs ${(incremental.ms / tokens * 1000).toFixed(2)} µs`);
