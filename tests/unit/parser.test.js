import test from 'node:test';
import assert from 'node:assert/strict';
import { parseTags, unfinishedTagStart, TagScanner, isSdModeKeyword, MAX_PROMPT_CHARS } from '../../src/core/parser.js';

/** @param {string} text */
const prompts = (text) => parseTags(text).map((t) => t.prompt);

test('double and single quotes', () => {
    assert.deepEqual(prompts('A <img-prompt="a red fox in snowy pines, dusk"> B'), ['a red fox in snowy pines, dusk']);
    assert.deepEqual(prompts("A <img-prompt='a red fox'> B"), ['a red fox']);
});

test('start, end, raw and form describe the tag exactly', () => {
    const text = 'Once. <img-prompt="fox"> Then.';
    const [tag] = parseTags(text);
    assert.equal(tag.start, 6);
    assert.equal(tag.end, 6 + '<img-prompt="fox">'.length);
    assert.equal(tag.raw, '<img-prompt="fox">');
    assert.equal(text.slice(tag.start, tag.end), tag.raw);
    assert.equal(tag.form, 'tag');
});

test('the other quote and escaped quotes stay inside the content', () => {
    assert.deepEqual(prompts(`<img-prompt="the 'Blue' inn">`), ["the 'Blue' inn"]);
    assert.deepEqual(prompts(`<img-prompt='a "big" dog'>`), ['a "big" dog']);
    assert.deepEqual(prompts('<img-prompt="a \\"big\\" dog">'), ['a "big" dog']);
    assert.deepEqual(prompts("<img-prompt='it\\'s late'>"), ["it's late"]);
    assert.deepEqual(prompts('<img-prompt="back\\\\slash">'), ['back\\slash']);
    assert.deepEqual(prompts('<img-prompt="keep \\n and \\x">'), ['keep \\n and \\x']);
});

test('HTML entities are decoded in one pass', () => {
    assert.deepEqual(prompts('<img-prompt="a &quot;big&quot; dog &#34;x&#34;">'), ['a "big" dog "x"']);
    assert.deepEqual(prompts('<img-prompt="it&#39;s &apos;ok&apos; &lt;b&gt; &amp; co">'), ["it's 'ok' <b> & co"]);
    assert.deepEqual(prompts('<img-prompt="&amp;quot; stays">'), ['&quot; stays']);
    assert.deepEqual(prompts('<img-prompt="&unknown; &amp">'), ['&unknown; &amp']);
});

test('a > inside the quotes is content', () => {
    assert.deepEqual(prompts('<img-prompt="a > b >> c">'), ['a > b >> c']);
});

test('whitespace around = and before >, and />', () => {
    assert.deepEqual(prompts('<img-prompt = "a" >'), ['a']);
    assert.deepEqual(prompts('<img-prompt=\n"a"\n>'), ['a']);
    assert.deepEqual(prompts('<img-prompt="a"/>'), ['a']);
    assert.deepEqual(prompts('<img-prompt="a" / >'), ['a']);
});

test('prompt whitespace is trimmed and collapsed', () => {
    assert.deepEqual(prompts('<img-prompt="  a\n\n red \t fox  ">'), ['a red fox']);
});

test('comment form', () => {
    const [tag] = parseTags('x <!--img-prompt="a fox"--> y <!-- IMG-PROMPT = \'b\' -->');
    assert.equal(tag.form, 'comment');
    assert.equal(tag.prompt, 'a fox');
    assert.equal(tag.raw, '<!--img-prompt="a fox"-->');
    assert.deepEqual(prompts('<!-- IMG-PROMPT = \'b\' -->'), ['b']);
});

test('tag name is case-insensitive', () => {
    assert.deepEqual(prompts('<IMG-PROMPT="a"><Img-Prompt="b">'), ['a', 'b']);
});

test('malformed variants are not prompts', () => {
    const bad = [
        '<img-prompt "x">',
        '<img-prompt=x>',
        '<img-prompt="x>',
        '<img-prompt="x\'>',
        '<img-prompt="x" foo>',
        '<img-prompt="x"y>',
        '<img-prompt="">',
        '<img-prompt="   ">',
        '< img-prompt="x">',
        '<img-promptx="x">',
        '<img-prompt="x" //>',
        '<!--img-prompt="x">',
        '<!--img-prompt="x"->',
        '<!-img-prompt="x"-->',
        '<img-prompt="x"-->',
        `<img-prompt="${'a'.repeat(MAX_PROMPT_CHARS + 1)}">`,
    ];
    for (const text of bad) assert.deepEqual(parseTags(text), [], text);
});

test('content of exactly the cap is accepted', () => {
    assert.deepEqual(prompts(`<img-prompt="${'a'.repeat(MAX_PROMPT_CHARS)}">`), ['a'.repeat(MAX_PROMPT_CHARS)]);
});

test('scanning continues after a malformed start', () => {
    assert.deepEqual(prompts('<img-prompt="x" foo><img-prompt="y">'), ['y']);
    assert.deepEqual(prompts('<img-prompt="a <img-prompt="b">'), ['b']);
    assert.deepEqual(prompts('<<img-prompt="c">'), ['c']);
});

test('an unclosed tag in final text does not hide a later tag', () => {
    assert.deepEqual(prompts('<img-prompt="never closed <img-prompt=\'b\'> end'), ['b']);
});

test('two identical tags are both reported', () => {
    const tags = parseTags('<img-prompt="fox"> and <img-prompt="fox">');
    assert.equal(tags.length, 2);
    assert.notEqual(tags[0].start, tags[1].start);
});

test('every prefix of a tag is unfinished at its start; the whole tag is a tag', () => {
    for (const full of ['<img-prompt = "a red > fox" />', "<!-- img-prompt='a \\' fox' -->", '<IMG-PROMPT="x">']) {
        const lead = 'Story text. ';
        for (let k = 1; k < full.length; k++) {
            const text = lead + full.slice(0, k);
            assert.deepEqual(parseTags(text), [], text);
            assert.equal(unfinishedTagStart(text), lead.length, text);
        }
        assert.equal(parseTags(lead + full).length, 1);
        assert.equal(unfinishedTagStart(lead + full), -1);
    }
});

test('unfinished examples from the spec', () => {
    for (const tail of ['<', '<im', '<!-', '<img-prompt', '<img-prompt =', '<img-prompt="a red fox', '<img-prompt="a" ', '<!--img-prompt="x"--', '<img-prompt="a\\']) {
        assert.equal(unfinishedTagStart(`ab ${tail}`), 3, tail);
    }
});

test('text that already became malformed is not unfinished', () => {
    for (const text of ['<img-prompt="x" foo', '<b', 'a < b', '<img-prompt=""', '<!-x', `<img-prompt="${'a'.repeat(MAX_PROMPT_CHARS + 1)}`]) {
        assert.equal(unfinishedTagStart(text), -1, text);
    }
    assert.equal(unfinishedTagStart('plain text'), -1);
    assert.equal(unfinishedTagStart(''), -1);
    assert.equal(unfinishedTagStart('<img-prompt="done"> after'), -1);
});

test('unfinished start after complete tags', () => {
    const text = '<img-prompt="a"> b <img-prompt="c';
    assert.equal(unfinishedTagStart(text), text.lastIndexOf('<'));
});

test('scanner fed char by char reports a tag once, when its > arrives', () => {
    const text = 'Hello <img-prompt="a > fox"> world <!--img-prompt="b"--> end';
    const scanner = new TagScanner();
    /** @type {Array<[number, string, number]>} */
    const seen = [];
    for (let k = 1; k <= text.length; k++) {
        for (const tag of scanner.feed(text.slice(0, k))) seen.push([k, tag.prompt, tag.ordinal]);
    }
    assert.deepEqual(seen, [
        [text.indexOf('> world') + 1, 'a > fox', 0],
        [text.indexOf('--> end') + 3, 'b', 1],
    ]);
});

test('scanner returns full tag data', () => {
    const scanner = new TagScanner();
    const [tag] = scanner.feed('x <img-prompt="a">');
    assert.deepEqual(tag, { start: 2, end: 18, prompt: 'a', raw: '<img-prompt="a">', form: 'tag', ordinal: 0 });
});

test('scanner: identical tags both reported with their ordinals', () => {
    const scanner = new TagScanner();
    assert.deepEqual(scanner.feed('<img-prompt="f">').map((t) => t.ordinal), [0]);
    assert.deepEqual(scanner.feed('<img-prompt="f"> <img-prompt="f">').map((t) => t.ordinal), [1]);
    assert.deepEqual(scanner.feed('<img-prompt="f"> <img-prompt="f"> more'), []);
});

test('scanner with rewritten text re-scans but does not re-report', () => {
    const scanner = new TagScanner();
    assert.equal(scanner.feed('A <img-prompt="one"> B').length, 1);
    // Rewritten: the first tag is unchanged, a new one appears.
    const fresh = scanner.feed('A <img-prompt="one"> C <img-prompt="two">');
    assert.deepEqual(fresh.map((t) => [t.prompt, t.ordinal]), [['two', 1]]);
    // Rewritten so the known tag moved: that is a different tag.
    const moved = scanner.feed('AA <img-prompt="one"> C <img-prompt="two">');
    assert.deepEqual(moved.map((t) => [t.prompt, t.ordinal]), [['one', 0], ['two', 1]]);
    // Shrunk and regrown: nothing new.
    assert.deepEqual(scanner.feed('AA '), []);
    assert.deepEqual(scanner.feed('AA <img-prompt="one">'), []);
});

test('scanner reports a pending tag once it is resolved by later text', () => {
    const scanner = new TagScanner();
    assert.deepEqual(scanner.feed('<img-prompt="never <img-prompt=\'b\'>'), []);
    // The outer tag turns malformed, so the inner one is a tag after all.
    const fresh = scanner.feed('<img-prompt="never <img-prompt=\'b\'> and" nope');
    assert.deepEqual(fresh.map((t) => t.prompt), ['b']);
});

test('scanner reset forgets everything', () => {
    const scanner = new TagScanner();
    scanner.feed('<img-prompt="a">');
    scanner.reset();
    assert.deepEqual(scanner.feed('<img-prompt="a">').map((t) => t.prompt), ['a']);
});

test('scanner agrees with parseTags on ordinals', () => {
    const text = 'a <img-prompt="1"> <img-prompt="bad" x> <!--img-prompt="2"--> <img-prompt=\'3\'/> z';
    const scanner = new TagScanner();
    const all = [];
    for (let k = 0; k <= text.length; k += 3) all.push(...scanner.feed(text.slice(0, k)));
    all.push(...scanner.feed(text));
    assert.deepEqual(all.map((t) => [t.prompt, t.ordinal, t.start]), parseTags(text).map((t, i) => [t.prompt, i, t.start]));
});

test('SD mode keywords', () => {
    for (const word of ['you', 'me', 'scene', 'last', 'raw_last', 'face', 'background', ' Scene ', 'ME']) {
        assert.equal(isSdModeKeyword(word), true, word);
    }
    for (const word of ['a scene', 'fox', '', 'backgrounds']) assert.equal(isSdModeKeyword(word), false, word);
});

test('performance: hostile input stays linear', () => {
    const opens = '<img-prompt="'.repeat(Math.ceil(200_000 / 13));
    const lts = '<'.repeat(200_000);
    const mixed = `<img-prompt='${'<img-prompt="a" x'.repeat(12_000)}`;
    const t0 = performance.now();
    assert.deepEqual(parseTags(opens), []);
    // The second-to-last start could still close as `<img-prompt="<img-prompt=">`.
    assert.equal(unfinishedTagStart(opens), opens.length - 26);
    assert.deepEqual(parseTags(lts), []);
    assert.equal(unfinishedTagStart(lts), lts.length - 1);
    parseTags(mixed);
    unfinishedTagStart(mixed);
    const scanner = new TagScanner();
    for (let k = 0; k <= opens.length; k += 4000) scanner.feed(opens.slice(0, k));
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `took ${ms} ms`);
});

test('performance: a long story streamed in small chunks is scanned incrementally', () => {
    const para = 'The fox ran through the snowy pines as dusk fell over the valley. '.repeat(20);
    let text = '';
    for (let i = 0; i < 40; i++) text += `${para}<img-prompt="a red fox number ${i} in snowy pines, dusk">\n\n`;
    const scanner = new TagScanner();
    let found = 0;
    const t0 = performance.now();
    for (let k = 4; k < text.length + 4; k += 4) found += scanner.feed(text.slice(0, k)).length;
    const ms = performance.now() - t0;
    assert.equal(found, 40);
    assert.ok(ms < 2000, `took ${ms} ms`);
});
