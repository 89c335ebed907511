// Prints what the grammar costs on pathological input: run with `node bench/parse.bench.js`.
// Every reading is bounded per `<` and a broken tag never reads past the next tag start, so the
// time must grow with the text: the 1 MB / 100 kB ratio should be about 10 (100 would mean
// quadratic). Figures are the best of a few runs (the machines are noisy), not pass/fail.
import { parseTags, TagScanner } from '../src/core/parser.js';
import { renderForDisplay } from '../src/core/display.js';

/**
 * `lead` then `unit` repeated, exactly `size` characters, as one flat string: `repeat` builds a
 * rope, and reading a rope char by char would be timed instead of the parser.
 * @param {string} unit @param {number} size @param {string} [lead]
 */
const fill = (unit, size, lead = '') => Buffer.from((lead + unit.repeat(Math.ceil(size / unit.length))).slice(0, size), 'utf16le').toString('utf16le');

/** Each input at a given size, all of them hostile to a scanner in some way. */
const INPUTS = {
    'tag starts that never end': (n) => fill('<img-prompt="', n),
    'one single-quote start over many double ones': (n) => fill('<img-prompt="a" x', n, "<img-prompt='"),
    'a run of <': (n) => fill('<', n),
    'comment openers and spaces': (n) => fill(`<!--${' '.repeat(60)}`, n),
    'raw quotes everywhere': (n) => fill(`<img-prompt="a "q" b${' "c"'.repeat(20)} `, n),
    'broken tags, the issue\'s two': (n) => fill('<img-prompt="x" onerror="alert(1)"> <img-prompt=""><script>a</script>"> ', n),
    'break-outs on one endless line': (n) => fill(`<img-prompt=""${' <b>x</b> >'.repeat(300)}`, n),
    'starts MAX_BROKEN_TAG_CHARS apart, no end': (n) => fill(`<img-prompt="x" ${'a'.repeat(2100)}`, n),
    'backslashes': (n) => fill('<img-prompt="\\\\\\', n),
    'recovered tags (reference)': (n) => fill('The fox ran. <img-prompt="a "quoted" fox"> ', n),
};

const SMALL = 100_000;
const LARGE = 1_000_000;
const FEEDS = 200; // streamed in this many chunks at either size, so per-feed work is compared

/** Best of `repeat` runs, in ms. @param {() => unknown} fn @param {number} repeat */
function best(fn, repeat) {
    let min = Infinity;
    for (let i = 0; i < repeat; i++) {
        const start = process.hrtime.bigint();
        fn();
        min = Math.min(min, Number(process.hrtime.bigint() - start) / 1e6);
    }
    return min;
}

/** @param {string} text @param {number} repeat */
function measure(text, repeat) {
    const chunk = Math.ceil(text.length / FEEDS);
    return {
        parse: best(() => parseTags(text), repeat),
        scan: best(() => {
            const scanner = new TagScanner();
            for (let end = chunk; end < text.length + chunk; end += chunk) scanner.feed(text.slice(0, end));
            scanner.finish(text);
        }, repeat),
        streamed: best(() => renderForDisplay(text, null, { hideUnfinished: true }), repeat),
        final: best(() => renderForDisplay(text, null, { hideUnfinished: false }), repeat),
    };
}

// Warm up, so the first input does not pay for compiling the parser.
for (const make of Object.values(INPUTS)) measure(make(SMALL), 2);

const cols = ['parse', 'scan', 'streamed', 'final'];
console.log(`parseTags, TagScanner (${FEEDS} feeds + finish), renderForDisplay streaming and final; ms at 100 kB / 1 MB (ratio)`);
console.log(`${'input'.padEnd(48)}${cols.map((c) => c.padStart(22)).join('')}`);
/** @type {number[]} */
const ratios = [];
for (const [name, make] of Object.entries(INPUTS)) {
    const small = measure(make(SMALL), 20);
    const large = measure(make(LARGE), 6);
    const cells = cols.map((c) => {
        const ratio = large[c] / Math.max(small[c], 0.01);
        ratios.push(ratio);
        return `${small[c].toFixed(1)} / ${large[c].toFixed(1)} (${ratio.toFixed(1)})`.padStart(22);
    });
    console.log(`${name.padEnd(48)}${cells.join('')}`);
}
ratios.sort((a, b) => a - b);
const median = ratios[Math.floor(ratios.length / 2)];
console.log(`1 MB / 100 kB ratio: median ${median.toFixed(1)}, largest ${ratios.at(-1)?.toFixed(1)} (linear is about 10, quadratic 100)`);
