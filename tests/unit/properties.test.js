// Properties of the grammar and everything built on it, each tried on 10,000 generated texts.
// Texts are built from a vocabulary of tricky pieces (tag starts, quotes, `>`, `-->`, entities,
// backslashes, our own image markup, real and broken tags, whitespace, CJK) so that the pieces
// collide in ways hand-written examples do not. A failure prints the shrunk text and the seed;
// replay with FC_SEED=<seed> node --test tests/unit/properties.test.js
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTags, scanTags, TagScanner } from '../../src/format/tags.js';
import { renderForDisplay } from '../../src/format/display.js';
import { imageMarkup, insertImage, stripImages } from '../../src/format/pictures.js';
import { pruneText } from '../../src/format/prune.js';

const RUNS = 10_000;
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
/** @type {import('fast-check').Parameters<any>} */
const params = { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) };

// Every piece that is or contains a tag carries `¤` in its prompt, and no other piece does:
// wherever `¤` shows on screen, some tag's text leaked.
const MARK = '¤';

/** Tags that are drawn, each on its own (strict, and ones recovered from raw quotes). */
const REAL = [
    '<img-prompt="a red ¤ fox">',
    "<img-prompt='an ¤ owl'>",
    '<!--img-prompt="¤ moon"-->',
    "<!-- IMG-PROMPT = '¤ 雪の狐' -->",
    '<Img-Prompt = "¤ x" />',
    '<img-prompt="a ¤ > b">',
    '<img-prompt="say \\"¤\\"">',
    '<img-prompt="&quot;¤&quot; &amp; co">',
    '<img-prompt="back\\\\slash ¤">',
    '<img-prompt="a "¤" word">',
    "<img-prompt='it's ¤'>",
    '<!--img-prompt="the "¤" inn"-->',
    '<img-prompt="a ¤ knight" shape="landscape">',
    "<!--img-prompt='¤ x' SHAPE = 'Portrait'-->",
    '<img-prompt="¤" shape=square/>',
    '<img-prompt="a "¤" b" shape="portrait">',
    '<img-prompt="¤ x" shape="wide">',
];

/** Tags that are broken, each on its own: hidden, not drawn. */
const BROKEN = [
    '<img-prompt=""><script>alert(¤)</script>">',
    '<img-prompt="x¤" onerror="alert(1)">',
    "<img-prompt='x¤' onerror='alert(1)'>",
    '<img-prompt="¤" onerror=alert(1)>',
    '<img-prompt="x¤" foo>',
    '<img-prompt="x¤"y>',
    '<img-prompt ¤>',
    '<img-prompt=x¤>',
    '<!--img-prompt="x¤">',
    '<img-prompt="a "¤" <i>b</i>">',
    '<img-promptx="¤">',
    '<img-prompt="">',
    '<img-prompt="x¤" shape="portrait" foo="1">',
    '<img-prompt="x¤" shape>',
    '<img-prompt="x¤" shape="portrait" shape="square">',
    '<img-prompt="x¤" shapes="portrait">',
];

/** Pieces of tags and of the markup around them; none contains MARK. */
const FRAGMENTS = [
    '<', '<img-prompt', '<img-prompt=', '<img-prompt="', "<img-prompt='", '<IMG-PROMPT', '<!--', '<!-- img-prompt="',
    '"', "'", '>', '">', '"/>', '-->', '"-->', '=', '\\', '\\"', '&quot;', '&lt;', '&gt;', '&amp;', '&#34;',
    '<img data-iig="1" src="a.png" title="t" alt="t">', '<img data-iig', '<img src="u.png">', 'data-iig', ' onerror="',
    '<b>', '</b>', '<script>', '</script>', ' ', ' ', '\n', '\n\n', '\t', 'fox', '狐', '雪', 'The fox ran. ', '\u202e',
    '\u0000', '{{char}}', '|/echo x|', '<!-', '--', '/', "'>", '" foo>', '"a "', '<img-prompt="x"', '<img-prompt=""', '"\n"',
    ' shape=', ' shape="portrait"', 'shape', '"landscape"', " shape='square'", 'SHAPE=',
];

const piece = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...REAL) },
    { weight: 1, arbitrary: fc.constantFrom(...BROKEN) },
    { weight: 5, arbitrary: fc.constantFrom(...FRAGMENTS) },
    // A little printable ASCII noise between the pieces.
    { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
);
const modelText = fc.array(piece, { maxLength: 32 }).map((pieces) => pieces.join(''));
/** Sizes of the streamed chunks, used in turn until the text is used up. */
const chunking = fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 8 });

/** @param {string} text @param {number[]} sizes @returns {string[]} every prefix a stream would send, ending with the text */
function prefixes(text, sizes) {
    const out = [];
    let end = 0;
    for (let k = 0; end < text.length; k++) {
        end = Math.min(text.length, end + sizes[k % sizes.length]);
        out.push(text.slice(0, end));
    }
    return out.length ? out : [text];
}

/** @param {import('../../src/format/tags.js').PromptTag} t */
const describe = (t) => [t.start, t.end, t.prompt, t.raw, t.form, t.shape];

/**
 * The last feed of a final text, plus the tags an undecided start still holds back: those that
 * parseTags finds after the ones the scanner has counted.
 * @param {TagScanner} scanner @param {string} text
 */
function finish(scanner, text) {
    const fresh = scanner.feed(text);
    const heldBack = parseTags(text).slice(scanner.count).map((t, k) => ({ ...t, ordinal: scanner.count + k }));
    return fresh.concat(heldBack);
}

test('scanning a text fed to TagScanner in random chunks finds exactly what parseTags on the whole text finds', () => {
    fc.assert(
        fc.property(modelText, chunking, (text, sizes) => {
            const scanner = new TagScanner();
            const seen = [];
            for (const prefix of prefixes(text, sizes)) seen.push(...scanner.feed(prefix));
            seen.push(...finish(scanner, text));
            assert.deepEqual(
                seen.map((t) => [...describe(t), t.ordinal]),
                parseTags(text).map((t, ordinal) => [...describe(t), ordinal]),
            );
        }),
        params,
    );
});

test('what a streaming scan decides never changes as the text grows', () => {
    fc.assert(
        fc.property(modelText, fc.nat(), (text, cut) => {
            const prefix = text.slice(0, cut % (text.length + 1));
            const early = scanTags(prefix, { streaming: true });
            const late = scanTags(text);
            assert.deepEqual(early.tags.map(describe), late.tags.slice(0, early.tags.length).map(describe));
            assert.deepEqual(early.malformed, late.malformed.slice(0, early.malformed.length));
            // Nothing undecided: the streaming reading is the final reading of the prefix.
            if (early.pending === -1) assert.deepEqual(early, scanTags(prefix));
        }),
        params,
    );
});

const src = fc.constantFrom('/user/images/a b.png', 'x" onerror="alert(1)', "a'b<c>&amp;", 'data:image/png;base64,AAA', 'javascript:alert(1)');

test('insertion is idempotent and changes nothing outside its markup', () => {
    fc.assert(
        fc.property(modelText, fc.nat(), src, (text, pick, source) => {
            const tags = parseTags(text);
            const ordinal = tags.length ? pick % tags.length : 0;
            const prompt = tags[ordinal]?.prompt ?? 'no such prompt';
            const markup = imageMarkup({ src: source, prompt });
            const once = insertImage(text, { ordinal, prompt }, markup);
            if (once.status === 'inserted') {
                const at = tags[ordinal].end;
                assert.equal(once.text.slice(at, at + markup.length), markup);
                assert.equal(once.text.slice(0, at) + once.text.slice(at + markup.length), text);
                assert.deepEqual(parseTags(once.text).map((t) => t.raw), tags.map((t) => t.raw));
            } else {
                assert.equal(once.text, text);
                assert.equal(once.status, tags.length ? 'already' : 'missing');
            }
            const twice = insertImage(once.text, { ordinal, prompt }, markup);
            assert.equal(twice.text, once.text);
            assert.equal(twice.status, tags.length ? 'already' : 'missing');
        }),
        params,
    );
});

test('pruning an illustrated text gives back the model\'s text', () => {
    fc.assert(
        fc.property(modelText, fc.array(fc.boolean()), src, (text, drawn, source) => {
            let illustrated = text;
            parseTags(text).forEach((tag, ordinal) => {
                if (drawn[ordinal] === false) return;
                illustrated = insertImage(illustrated, { ordinal, prompt: tag.prompt }, imageMarkup({ src: source, prompt: tag.prompt })).text;
            });
            // The model's own copies of our markup are pruned too; everything else is its text.
            assert.equal(pruneText(illustrated), pruneText(text));
            if (stripImages(text) === text) assert.equal(pruneText(illustrated), text);
        }),
        params,
    );
});

test('pruning removes only image markup, never any part of a tag', () => {
    fc.assert(
        fc.property(modelText, (text) => {
            // Not "the pruned text has the same tags": removing a copy of our markup the model
            // wrote inside quotes can join what was left into a new tag. Every old tag survives whole.
            const pruned = pruneText(text);
            let at = 0;
            for (const tag of parseTags(text)) {
                const found = pruned.indexOf(tag.raw, at);
                assert.ok(found !== -1, `lost ${JSON.stringify(tag.raw)}: ${JSON.stringify(pruned)}`);
                at = found + tag.raw.length;
            }
        }),
        params,
    );
});

const OUR_MARKUP = /<img data-iig="1" src="[^"]*" title="[^"]*" alt="[^"]*">|<span data-iig-state="(?:pending|failed)" title="[^"]*">[^<]*<\/span>/g;
const labels = { pending: 'drawing…', failed: 'failed' };
const stateList = fc.array(fc.constantFrom('none', 'pending', 'failed', 'ready'), { maxLength: 12 }).map((kinds) => {
    /** @type {Map<number, import('../../src/format/display.js').TagState>} */
    const states = new Map();
    kinds.forEach((kind, ordinal) => {
        if (kind === 'pending' || kind === 'failed') states.set(ordinal, { status: kind, error: 'HTTP 500 "><b>' });
        if (kind === 'ready') states.set(ordinal, { status: 'ready', src: `/user/images/${ordinal}.png` });
    });
    return states;
});

/** @param {string} shown @param {string} input */
function assertNoTagText(shown, input) {
    const text = shown.replace(OUR_MARKUP, '');
    assert.ok(!/img-prompt/i.test(text), `shows img-prompt: ${JSON.stringify(text)} for ${JSON.stringify(input)}`);
    assert.ok(!text.includes(MARK), `shows a tag's text: ${JSON.stringify(text)} for ${JSON.stringify(input)}`);
}

test('the display never shows tag text or fragments, final or streaming', () => {
    fc.assert(
        fc.property(modelText, stateList, chunking, (text, states, sizes) => {
            assertNoTagText(renderForDisplay(text, states, { hideUnfinished: false, labels }), text);
            for (const prefix of prefixes(text, sizes)) {
                assertNoTagText(renderForDisplay(prefix, states, { hideUnfinished: true, labels }), prefix);
            }
        }),
        params,
    );
});
