// Hostile prompts through every place a prompt is written into markup: the tag our rewrite
// writes, the image we insert, the placeholders with their tooltips, the display and pruning.
// The output is read back with parse5, a spec-compliant HTML tokenizer and tree builder (the
// one jsdom uses), so "no attribute break-out" is judged the way a browser would parse it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseFragment } from 'parse5';
import { HOSTILE_PROMPTS } from './hostile-prompts.js';
import { parseTags, scanTags, MAX_PROMPT_CHARS } from '../../src/format/tags.js';
import { renderForDisplay } from '../../src/format/display.js';
import { encodePrompt, imageMarkup, insertImage, replaceTagPrompt } from '../../src/format/pictures.js';
import { pruneText } from '../../src/format/prune.js';

/** @typedef {string | {name: string, attrs: Array<[string, string]>, children: Node[]}} Node */

/**
 * The parsed tree as plain data: text nodes as strings, elements with their attributes in
 * order, `<template>` contents as children, comments as `<!--...-->` strings.
 * @param {string} html @returns {Node[]}
 */
function shape(html) {
    /** @param {any} node @returns {Node} */
    const convert = (node) => {
        if (node.nodeName === '#text') return node.value;
        if (node.nodeName === '#comment') return `<!--${node.data}-->`;
        const kids = node.content ? node.content.childNodes : node.childNodes;
        return { name: node.tagName, attrs: node.attrs.map((/** @type {any} */ a) => [a.name, a.value]), children: kids.map(convert) };
    };
    return parseFragment(html).childNodes.map(convert);
}

/** Every element in a shape, depth first. @param {Node[]} nodes @returns {Exclude<Node, string>[]} */
function elements(nodes) {
    return nodes.flatMap((n) => (typeof n === 'string' ? [] : [n, ...elements(n.children)]));
}

/** @param {Exclude<Node, string>} e */
const isOurs = (e) => e.attrs.some(([name]) => name === 'data-iig' || name === 'data-iig-state');

/** What the parser makes of a prompt's whitespace. @param {string} p */
const norm = (p) => p.replace(/\s+/g, ' ').trim();
/** What an HTML parser makes of an attribute value (input stream preprocessing). @param {string} s */
const asHtml = (s) => s.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD');

const labels = { pending: 'drawing…', failed: 'failed' };
const show = { hideUnfinished: true, labels };
const SRC = '/user/images/Seraphina/a b.png';

/** @param {string} prompt @param {string} [src] @returns {Node} */
const ourImage = (prompt, src = SRC) => ({
    name: 'img',
    attrs: [['data-iig', '1'], ['src', asHtml(src)], ['title', asHtml(prompt)], ['alt', asHtml(prompt)]],
    children: [],
});
/** @param {'pending'|'failed'} status @param {string} title @returns {Node} */
const ourPlaceholder = (status, title) => ({
    name: 'span',
    attrs: [['data-iig-state', status], ['title', asHtml(title)]],
    children: [labels[status]],
});

/** The prompts that fit in a tag once encoded (the 10 kB one does not). */
const FITTING = HOSTILE_PROMPTS.filter((p) => encodePrompt(norm(p)).length <= MAX_PROMPT_CHARS);
/** @param {string} p */
const tagFor = (p) => `<img-prompt="${encodePrompt(norm(p))}">`;

const REGENERATE = `regenerate the copy with: node -e "import('./tests/unit/hostile-prompts.js').then((m) => require('fs').writeFileSync('tests/e2e/hostile_prompts.json', JSON.stringify(m.HOSTILE_PROMPTS, null, 2) + '\\n'))"`;

test('there are at least 30 hostile prompts, and the end-to-end copy is the same list', () => {
    assert.ok(HOSTILE_PROMPTS.length >= 30, `${HOSTILE_PROMPTS.length}`);
    assert.equal(new Set(HOSTILE_PROMPTS).size, HOSTILE_PROMPTS.length, 'no duplicates');
    const json = JSON.parse(readFileSync(new URL('../e2e/hostile_prompts.json', import.meta.url), 'utf8'));
    assert.deepEqual(json, HOSTILE_PROMPTS, REGENERATE);
    assert.ok(HOSTILE_PROMPTS.some((p) => p.length >= 10_000), 'one long prompt');
});

test('a hostile prompt round-trips through the tag our rewrite writes', () => {
    for (const p of FITTING) {
        const text = 'Before <img-prompt="old"> after';
        const out = replaceTagPrompt(text, parseTags(text)[0], p);
        const tags = parseTags(out);
        assert.deepEqual(tags.map((t) => t.prompt), [norm(p)], JSON.stringify(p));
        assert.equal(tags[0].raw.indexOf('>'), tags[0].raw.length - 1, 'no raw > inside the tag');
        assert.deepEqual(scanTags(out).malformed, []);
        for (const form of ['<!--img-prompt="old"-->', "<img-prompt='old'/>"]) {
            const other = `x ${form} y`;
            assert.deepEqual(parseTags(replaceTagPrompt(other, parseTags(other)[0], p)).map((t) => t.prompt), [norm(p)], form);
        }
    }
});

test('placeholders for hostile prompts are exactly our element, the tooltip read back as text', () => {
    for (const p of FITTING) {
        const text = `A ${tagFor(p)} B`;
        const pending = renderForDisplay(text, new Map([[0, { status: 'pending' }]]), show);
        assert.deepEqual(shape(pending), ['A ', ourPlaceholder('pending', norm(p)), ' B'], JSON.stringify(p));
        // The error text is untrusted too (a backend's message).
        const failed = renderForDisplay(text, new Map([[0, { status: 'failed', error: p }]]), show);
        assert.deepEqual(shape(failed), ['A ', ourPlaceholder('failed', `${norm(p)} — ${p}`), ' B'], JSON.stringify(p));
    }
});

test('ready and inserted images for hostile prompts and sources are exactly our element', () => {
    for (const p of FITTING) {
        const text = `A ${tagFor(p)} B`;
        const ready = renderForDisplay(text, new Map([[0, { status: 'ready', src: p }]]), show);
        assert.deepEqual(shape(ready), ['A ', ourImage(norm(p), p), ' B'], JSON.stringify(p));
        const inserted = insertImage(text, { ordinal: 0, prompt: norm(p) }, imageMarkup({ src: SRC, prompt: norm(p) }));
        assert.equal(inserted.status, 'inserted');
        assert.deepEqual(shape(renderForDisplay(inserted.text, null, show)), ['A ', ourImage(norm(p)), ' B'], JSON.stringify(p));
        assert.equal(pruneText(inserted.text), text, 'pruning gives back the model text');
    }
});

test('our markup stays one element whatever the prompt and source, the long one too', () => {
    for (const p of HOSTILE_PROMPTS) {
        assert.deepEqual(shape(imageMarkup({ src: p, prompt: p })), [ourImage(p, p)], JSON.stringify(p.slice(0, 80)));
    }
});

test('a tag too long to be one is hidden as far as it is read, the rest shows as text only', () => {
    for (const p of HOSTILE_PROMPTS.filter((x) => !FITTING.includes(x))) {
        const text = `A <img-prompt="${encodePrompt(p)}"> B`;
        assert.deepEqual(parseTags(text), []);
        const out = renderForDisplay(text, null, show);
        assert.ok(!/img-prompt/i.test(out));
        assert.deepEqual(elements(shape(out)), [], 'the encoded rest is text, not markup');
    }
});

// Written raw by the model, a prompt can end its own tag early; what follows is then the
// model's text, shown (and sanitised by SillyTavern) like any other. These are the only ones.
const LEFT_OVER = new Map([
    // `<img-prompt="'">` is a valid tag (prompt `'`); the rest is markup after it.
    [`<img-prompt="'"><svg/onload=alert(1)>">`, '<svg/onload=alert(1)>">'],
    // The prompt's own `">` closes the tag (the first closing quote wins).
    ['<img-prompt="<noscript><p title="</noscript><img src=x onerror=alert(1)>">">', '">'],
    // A broken tag never reaches past the next tag start; the inner tag is drawn.
    ['<img-prompt="<img-prompt="nested">">', '">'],
    ['<!--img-prompt="<img-prompt="nested">"-->', '"-->'],
    ['<img-prompt="<!--img-prompt="nested"-->">', '">'],
    ['<!--img-prompt="<!--img-prompt="nested"-->"-->', '"-->'],
]);

test('a hostile prompt written raw by the model shows nothing of its tag', () => {
    for (const p of HOSTILE_PROMPTS) {
        for (const [open, close] of [['<img-prompt="', '">'], ["<img-prompt='", "'>"], ['<!--img-prompt="', '"-->']]) {
            const tag = open + p + close;
            const text = `A ${tag} B`;
            const states = new Map(parseTags(text).map((_, k) => [k, { status: /** @type {const} */ ('pending') }]));
            for (const opts of [show, { hideUnfinished: false, labels }]) {
                const out = renderForDisplay(text, states, opts);
                const nodes = shape(out);
                const ours = elements(nodes).filter(isOurs);
                // Our tooltips hold the prompt, which may well say img-prompt; nothing else may.
                const visible = JSON.stringify([nodes.filter((n) => typeof n === 'string'), elements(nodes).filter((e) => !isOurs(e))]);
                assert.ok(!/img-prompt/i.test(visible), `${JSON.stringify(tag)} shows ${JSON.stringify(out)}`);
                assert.deepEqual(ours, parseTags(text).map((t) => ourPlaceholder('pending', t.prompt)), JSON.stringify(tag));
                if (p.length > MAX_PROMPT_CHARS) continue; // past the bound the rest is the model's text
                const rest = LEFT_OVER.get(tag);
                if (rest === undefined) {
                    assert.equal(elements(nodes).length, ours.length, `${JSON.stringify(tag)} shows ${JSON.stringify(out)}`);
                    // Streaming, a tag that has not closed yet (`\">` is an escaped quote) cuts the rest.
                    const open = opts.hideUnfinished && scanTags(text, { streaming: true }).pending !== -1;
                    assert.equal(nodes.filter((n) => typeof n === 'string').join(''), open ? 'A ' : 'A  B', `${JSON.stringify(tag)} shows ${JSON.stringify(out)}`);
                } else {
                    assert.ok(out.endsWith(`${rest} B`), `${JSON.stringify(tag)} shows ${JSON.stringify(out)}`);
                }
            }
        }
    }
});

test('pruning leaves a hostile tag as the model wrote it', () => {
    for (const p of HOSTILE_PROMPTS) {
        const text = `A <img-prompt="${p}"> B`;
        const tags = parseTags(text);
        let illustrated = text;
        tags.forEach((tag, ordinal) => {
            illustrated = insertImage(illustrated, { ordinal, prompt: tag.prompt }, imageMarkup({ src: SRC, prompt: tag.prompt })).text;
        });
        assert.equal(pruneText(illustrated), pruneText(text), JSON.stringify(p.slice(0, 80)));
    }
});
