import test from 'node:test';
import assert from 'node:assert/strict';
import { renderForDisplay } from '../../src/format/display.js';
import { imageMarkup } from '../../src/format/pictures.js';

const show = { hideUnfinished: true };
const keep = { hideUnfinished: false };

test('fast path: text without img-prompt is returned as is', () => {
    const text = 'Just a story with <b>html</b> & stuff.';
    assert.equal(renderForDisplay(text, null, show), text);
    assert.equal(renderForDisplay(text, new Map([[0, { status: 'ready', src: 'x' }]]), keep), text);
});

test('a half-written tag name at the end is hidden while streaming', () => {
    assert.equal(renderForDisplay('Story <im', null, show), 'Story ');
    assert.equal(renderForDisplay('Story <!-- img-pr', null, show), 'Story ');
    assert.equal(renderForDisplay('Story <', null, show), 'Story ');
    assert.equal(renderForDisplay('Story <im', null, keep), 'Story <im');
    assert.equal(renderForDisplay('a <b', null, show), 'a <b');
    assert.equal(renderForDisplay('a <i>x</i>', null, show), 'a <i>x</i>');
});

test('tags are removed; no state means nothing in their place', () => {
    assert.equal(renderForDisplay('A <img-prompt="fox"> B <!--IMG-PROMPT=\'owl\'--> C', null, show), 'A  B  C');
    assert.equal(renderForDisplay('A <img-prompt="fox"> B', new Map(), show), 'A  B');
});

test('a tag whose content is hostile is still removed entirely', () => {
    assert.equal(renderForDisplay('A <img-prompt="\\"><script>alert(1)</script>"> B', null, show), 'A  B');
});

test('an image already in the text is left, and state is ignored for it', () => {
    const img = imageMarkup({ src: 'saved.png', prompt: 'fox' });
    const text = `A <img-prompt="fox">${img} B`;
    const states = new Map([[0, { status: /** @type {const} */ ('ready'), src: 'other.png' }]]);
    assert.equal(renderForDisplay(text, states, show), `A ${img} B`);
});

test('ready state shows the image', () => {
    const states = new Map([[1, { status: /** @type {const} */ ('ready'), src: 'b.png' }]]);
    const out = renderForDisplay('<img-prompt="a"> x <img-prompt="b & c">', states, show);
    assert.equal(out, ` x ${imageMarkup({ src: 'b.png', prompt: 'b & c' })}`);
});

test('pending and failed states show escaped placeholders', () => {
    /** @type {Map<number, any>} */
    const states = new Map([
        [0, { status: 'pending' }],
        [1, { status: 'failed', error: 'HTTP 500 <oops>' }],
        [2, { status: 'failed' }],
    ]);
    const out = renderForDisplay('<img-prompt="a \\"q\\"">|<img-prompt="b">|<img-prompt="c">', states, show);
    assert.equal(
        out,
        '<span data-iig-state="pending" title="a &quot;q&quot;"></span>|' +
            '<span data-iig-state="failed" title="b — HTTP 500 &lt;oops&gt;"></span>|' +
            '<span data-iig-state="failed" title="c"></span>',
    );
});

test('states are matched by ordinal, also for identical prompts', () => {
    /** @type {Map<number, any>} */
    const states = new Map([[1, { status: 'pending' }]]);
    assert.equal(renderForDisplay('<img-prompt="f">1<img-prompt="f">2', states, show), '1<span data-iig-state="pending" title="f"></span>2');
});

test('broken tags are hidden up to where they plainly end, and get nothing in their place', () => {
    /** @type {Map<number, any>} */
    const states = new Map([[0, { status: 'pending' }]]);
    assert.equal(renderForDisplay('A <img-prompt="x" foo> B', states, show), 'A  B');
    assert.equal(renderForDisplay('A <img-prompt="x" foo> B', states, keep), 'A  B');
    // Broken tags take no ordinal: state 0 belongs to the first real tag.
    assert.equal(renderForDisplay('<img-prompt="">|<img-prompt="b">', states, show), '|<span data-iig-state="pending" title="b"></span>');
});

test('the tags from the issue leave no stray text', () => {
    for (const tag of ['<img-prompt=""><script>alert(1)</script>">', '<img-prompt="x" onerror="alert(1)">']) {
        for (const opts of [show, keep]) {
            const out = renderForDisplay(`She smiled. ${tag} The end.`, new Map([[0, { status: 'pending' }]]), opts);
            assert.equal(out, 'She smiled.  The end.', tag);
            assert.ok(!out.includes('">') && !out.includes('onerror') && !out.includes('script'), out);
        }
    }
});

test('a tag with raw quotes is drawn, its prompt escaped', () => {
    /** @type {Map<number, any>} */
    const states = new Map([[0, { status: 'failed', error: 'HTTP 500' }]]);
    assert.equal(
        renderForDisplay('A <img-prompt="a "quoted" word"> B', states, show),
        'A <span data-iig-state="failed" title="a &quot;quoted&quot; word — HTTP 500"></span> B',
    );
    const ready = new Map([[0, { status: /** @type {const} */ ('ready'), src: 'q.png' }]]);
    assert.equal(renderForDisplay('<img-prompt="a "q"">', ready, show), imageMarkup({ src: 'q.png', prompt: 'a "q"' }));
});

test('an unfinished trailing tag is cut while streaming; in final text it is broken, and hidden', () => {
    /** @type {Map<number, any>} */
    const states = new Map([[0, { status: 'pending' }]]);
    const text = 'A <img-prompt="fox"> B <img-prompt="a half';
    assert.equal(renderForDisplay(text, states, show), 'A <span data-iig-state="pending" title="fox"></span> B ');
    assert.equal(renderForDisplay(text, states, keep), 'A <span data-iig-state="pending" title="fox"></span> B ');
    assert.equal(renderForDisplay('A <img-prompt="x"', null, show), 'A ');
    assert.equal(renderForDisplay('A <img-prompt="a red\nB', null, keep), 'A \nB');
});

test('a tag inside an unfinished one is cut with it while streaming, drawn when final', () => {
    /** @type {Map<number, any>} */
    const states = new Map([[0, { status: 'pending' }]]);
    const text = 'A <img-prompt="x <img-prompt=\'y\'> z';
    assert.equal(renderForDisplay(text, states, show), 'A ');
    assert.equal(renderForDisplay(text, states, keep), 'A <span data-iig-state="pending" title="y"></span> z');
});

test('streaming never shows a fragment of a tag that turns out broken or recovered', () => {
    for (const tag of [
        '<img-prompt=""><script>alert(1)</script>">',
        '<img-prompt="x" onerror="alert(1)">',
        '<img-prompt="a "quoted" word">',
        '<img-prompt="x" foo>',
        '<!--img-prompt="x" y-->',
    ]) {
        const full = `Dusk. ${tag} The fox ran.`;
        for (let k = 0; k <= full.length; k++) {
            const out = renderForDisplay(full.slice(0, k), null, show);
            assert.ok(out === full.slice(0, Math.min(k, 6)) || out === `Dusk. ${full.slice(6 + tag.length, k)}`, `${k}: ${out}`);
        }
    }
});

test('every streamed prefix renders without showing any part of the tag', () => {
    const full = 'Dusk. <img-prompt="a red fox in snowy pines"> The fox ran.';
    for (let k = 0; k <= full.length; k++) {
        const out = renderForDisplay(full.slice(0, k), null, show);
        assert.ok(!out.includes('<'), `${k}: ${out}`);
        assert.ok(!out.includes('fox in'), `${k}: ${out}`);
    }
});

test('placeholders carry the caller\'s (translated) words, escaped', () => {
    const mes = 'A <img-prompt="a cat"> B <img-prompt="a dog"> C';
    const states = new Map([[0, { status: 'pending' }], [1, { status: 'failed', error: 'HTTP 500' }]]);
    const out = renderForDisplay(mes, states, { hideUnfinished: true, labels: { pending: '绘制中…', failed: 'failed <b>' } });
    assert.match(out, /<span data-iig-state="pending" title="a cat">绘制中…<\/span>/);
    assert.match(out, /<span data-iig-state="failed" title="a dog — HTTP 500">failed &lt;b&gt;<\/span>/);
});
