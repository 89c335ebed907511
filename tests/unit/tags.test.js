import test from 'node:test';
import assert from 'node:assert/strict';
import { parseTags, unfinishedTagStart, scanTags, TagScanner, isSdModeKeyword, MAX_PROMPT_CHARS, MAX_BROKEN_TAG_CHARS } from '../../src/format/tags.js';

/** The broken tags of a final text. @param {string} text */
const malformedSpans = (text) => scanTags(text).malformed;

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
    const notStarts = ['< img-prompt="x">', '<!-img-prompt="x"-->'];
    for (const text of bad) {
        assert.deepEqual(parseTags(text), [], text);
        // Each one that starts like a tag is hidden whole; the two that do not are plain text.
        assert.deepEqual(malformedSpans(text), notStarts.includes(text) ? [] : [{ start: 0, end: text.length }], text);
    }
});

/** @param {string} text @returns {string[]} the text of each broken tag */
const broken = (text) => malformedSpans(text).map((s) => text.slice(s.start, s.end));

test('the two tags from the issue are hidden whole and not drawn', () => {
    for (const tag of ['<img-prompt=""><script>alert(1)</script>">', '<img-prompt="x" onerror="alert(1)">']) {
        const text = `She smiled. ${tag} The end.`;
        assert.deepEqual(parseTags(text), [], tag);
        assert.deepEqual(broken(text), [tag]);
    }
});

test('raw quotes inside the quotes are recovered as the prompt', () => {
    const text = 'A <img-prompt="a "quoted" word"> B';
    const [tag] = parseTags(text);
    assert.deepEqual(tag, { start: 2, end: text.length - 2, prompt: 'a "quoted" word', raw: '<img-prompt="a "quoted" word">', form: 'tag', shape: '' });
    assert.deepEqual(prompts(`<img-prompt='it's Bob's'>`), ["it's Bob's"]);
    assert.deepEqual(prompts('<img-prompt="a sign reading "OPEN" " />'), ['a sign reading "OPEN"']);
    assert.deepEqual(prompts('<!--img-prompt="the "Blue" inn"-->'), ['the "Blue" inn']);
    assert.deepEqual(prompts('<img-prompt=""quoted" start">'), ['"quoted" start']);
    assert.deepEqual(prompts('<img-prompt="a \\"b" &quot;c&quot; d">'), ['a "b" "c" d']);
    assert.deepEqual(malformedSpans(text), []);
});

test('recovery ends at the first quote-then-> after some prompt text', () => {
    // Everything after that first close is story text again, even a later `">`.
    assert.deepEqual(prompts('<img-prompt="a "b"> and then "c">'), ['a "b']);
    assert.deepEqual(prompts('<img-prompt="a "b" > c">'), ['a "b']);
});

test('raw quotes with <, > or = inside are not recovered: the tag is hidden whole', () => {
    for (const tag of [
        '<img-prompt="x" onerror="alert(1)">',
        "<img-prompt='x' onerror='alert(1)'>",
        '<img-prompt="x" style="color:red"/>',
        '<img-prompt="E=mc2 on a "board"">',
        '<img-prompt="a "b" <i>c</i>">',
        '<img-prompt="a > "b" c">',
        '<img-prompt="" onerror="alert(1)">',
        '<img-prompt=""><img src=x onerror=alert(1)>">',
        '<!--img-prompt="x" onerror="y"-->',
        // Quotes that closed on nothing: read on to the closing quote, whatever `>` come first.
        '<img-prompt=\'\'"><svg/onload=alert(1)>\'>',
        '<!--img-prompt=""><script>alert(1)</script>"-->',
        // A `">` inside markup the prompt holds is the markup's, not the tag's end.
        '<img-prompt="<iframe srcdoc="&lt;b&gt;"></iframe>">',
    ]) {
        assert.deepEqual(parseTags(tag), [], tag);
        assert.deepEqual(broken(`${tag} after`), [tag], tag);
    }
});

test('a broken tag ends at a > that follows its closing quote', () => {
    assert.deepEqual(broken('<img-prompt="x" foo> after "quoted"> text'), ['<img-prompt="x" foo>']);
    assert.deepEqual(broken('<img-prompt="x"y> a'), ['<img-prompt="x"y>']);
    assert.deepEqual(broken('<img-prompt="x" onerror=alert(1)> a'), ['<img-prompt="x" onerror=alert(1)>']);
    assert.deepEqual(broken('<img-prompt="a" <b> c> d'), ['<img-prompt="a" <b> c>']);
    assert.deepEqual(broken('<img-prompt="a > b" foo> c'), ['<img-prompt="a > b" foo>']);
    assert.deepEqual(broken('<!--img-prompt="x"> a'), ['<!--img-prompt="x">']);
    assert.deepEqual(broken('<!--img-prompt="x" y --> a'), ['<!--img-prompt="x" y -->']);
});

test('a broken tag without a quote ends at its first > (the comment form: its first -->)', () => {
    for (const tag of ['<img-prompt>', '<img-prompt=x>', '<img-prompt "x">', '<IMG-PROMPT x="y">', '<img-prompts are fun>', '<!--img-prompt x-->', '<!--img-prompt a>b -->']) {
        assert.deepEqual(broken(`${tag} after "q">`), [tag], tag);
    }
    assert.deepEqual(broken('<!--img-prompt a>b\nc -->'), ['<!--img-prompt a>'], 'no --> on the line');
});

test('a broken tag with no plain end on its line ends at its first >, or at the line end', () => {
    assert.deepEqual(broken('<img-prompt="a red fox> She ran.\nNext'), ['<img-prompt="a red fox>']);
    assert.deepEqual(broken('<img-prompt=""> She ran.\nNext'), ['<img-prompt="">']);
    assert.deepEqual(broken('<img-prompt="a red fox\nNext'), ['<img-prompt="a red fox']);
    assert.deepEqual(broken('Story <img-prompt="a red'), ['<img-prompt="a red'], 'a stopped stream');
    assert.deepEqual(broken('x <img-prompt'), ['<img-prompt']);
    assert.deepEqual(broken('x <img-prompt\n>'), ['<img-prompt']);
});

test('a broken tag is never read past the next tag start, so it cannot swallow a tag', () => {
    const text = '<img-prompt="x" onerror="<img-prompt=\'y\'>">';
    assert.deepEqual(prompts(text), ['y']);
    assert.deepEqual(broken(text), ['<img-prompt="x" onerror="']);
    assert.deepEqual(broken('<img-prompt="<img-prompt="a">'), ['<img-prompt="']);
    assert.deepEqual(broken('<img-prompt=<!--img-prompt="a"-->'), ['<img-prompt=']);
    // A backslash does not hide the next start either.
    assert.deepEqual(prompts('<img-prompt="x" \\<img-prompt="y">'), ['y']);
});

test('a broken tag is bounded', () => {
    const long = `<img-prompt="x" ${'a'.repeat(3 * MAX_BROKEN_TAG_CHARS)}`;
    const [span] = malformedSpans(long);
    assert.equal(span.start, 0);
    assert.equal(span.end, '<img-prompt="'.length + MAX_BROKEN_TAG_CHARS);
    const head = `<img-prompt ${'b'.repeat(3 * MAX_BROKEN_TAG_CHARS)}`;
    assert.equal(malformedSpans(head)[0].end, '<img-prompt'.length + MAX_BROKEN_TAG_CHARS);
    // A closing quote past the prompt cap is not recovered.
    const over = `<img-prompt="a "b" ${'c'.repeat(MAX_PROMPT_CHARS)}">`;
    assert.deepEqual(parseTags(over), []);
    assert.deepEqual(broken(over), [over]);
});

test('scanTags gives tags and broken tags in one pass, in order, not overlapping', () => {
    const text = '<img-prompt="a" x> <img-prompt="b"> <img-prompt=""> <img-prompt="c "d"">';
    const { tags, malformed, pending } = scanTags(text);
    assert.deepEqual(tags.map((t) => t.prompt), ['b', 'c "d"']);
    assert.deepEqual(malformed.map((s) => text.slice(s.start, s.end)), ['<img-prompt="a" x>', '<img-prompt="">']);
    assert.equal(pending, -1);
    const streamed = scanTags('<img-prompt="b"> <img-prompt="a" x', { streaming: true });
    assert.deepEqual(streamed.tags.map((t) => t.prompt), ['b']);
    assert.deepEqual(streamed.malformed, []);
    assert.equal(streamed.pending, 17);
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

test('a < that cannot start a tag is not unfinished', () => {
    for (const text of ['<b', 'a < b', '<!-x', '<!-- plain comment', '<img-pro>']) {
        assert.equal(unfinishedTagStart(text), -1, text);
    }
    assert.equal(unfinishedTagStart('plain text'), -1);
    assert.equal(unfinishedTagStart(''), -1);
    assert.equal(unfinishedTagStart('<img-prompt="done"> after'), -1);
});

test('a broken tag stays unfinished until it plainly ends, so it never flashes up', () => {
    const cases = [
        ['<img-prompt="x" foo', '>'],
        ['<img-prompt=""', '> and the rest of the line\n'],
        ['<img-prompt="x" onerror="alert(1)', '">'],
        ['<img-prompt', ' and then>'],
        ['<img-prompt="a "quoted', '" word">'],
        [`<img-prompt="${'a'.repeat(MAX_PROMPT_CHARS + 1)}`, 'a'.repeat(MAX_BROKEN_TAG_CHARS)],
    ];
    for (const [open, rest] of cases) {
        assert.equal(unfinishedTagStart(`ab ${open}`), 3, open);
        assert.equal(unfinishedTagStart(`ab ${open}${rest}`), -1, open + rest);
    }
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
    assert.deepEqual(tag, { start: 2, end: 18, prompt: 'a', raw: '<img-prompt="a">', form: 'tag', shape: '', ordinal: 0 });
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

test('scanner reports a recovered tag the moment its real closing > arrives', () => {
    const text = 'Hi <img-prompt="a "quoted" word"> there';
    const scanner = new TagScanner();
    /** @type {Array<[number, string]>} */
    const seen = [];
    for (let k = 1; k <= text.length; k++) {
        for (const tag of scanner.feed(text.slice(0, k))) seen.push([k, tag.prompt]);
    }
    assert.deepEqual(seen, [[text.indexOf('> there') + 1, 'a "quoted" word']]);
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

test('a shape attribute after the prompt is read, any case, in both forms', () => {
    /** @param {string} text */
    const shapes = (text) => parseTags(text).map((t) => [t.prompt, t.shape]);
    assert.deepEqual(shapes('<img-prompt="a lone knight on a cliff" shape="landscape">'), [['a lone knight on a cliff', 'landscape']]);
    assert.deepEqual(shapes('<!--img-prompt="a queen" shape="PORTRAIT"-->'), [['a queen', 'portrait']]);
    assert.deepEqual(shapes("<img-prompt='a die' Shape = 'Square' />"), [['a die', 'square']]);
    assert.deepEqual(shapes('<img-prompt="a die" shape=square>'), [['a die', 'square']]);
    assert.deepEqual(shapes('<img-prompt="a fox">'), [['a fox', '']]);
    // An unknown value is drawn at the default size.
    assert.deepEqual(shapes('<img-prompt="a fox" shape="panorama">'), [['a fox', '']]);
    // Raw quotes in the prompt, then a shape: still recovered.
    assert.deepEqual(shapes('<img-prompt="a "quoted" word" shape="portrait">'), [['a "quoted" word', 'portrait']]);
});

test('any other attribute, or a second shape, still makes the tag broken', () => {
    for (const tag of ['<img-prompt="x" shape="portrait" onerror="alert(1)">', '<img-prompt="x" shape>', '<img-prompt="x" shape="a" shape="b">',
        '<img-prompt="x" shapes="portrait">', '<img-prompt="x" shape="portrait>', '<img-prompt="x" width="512">']) {
        const text = `A ${tag} B`;
        assert.deepEqual(parseTags(text), [], tag);
        assert.deepEqual(malformedSpans(text).map((s) => text.slice(s.start, s.end)), [tag], tag);
    }
});

test('a shape attribute that has not finished streaming keeps the tag undecided', () => {
    const whole = 'A <img-prompt="x" shape="landscape"> B';
    for (let end = whole.indexOf('"x"') + 3; end < whole.indexOf('> B') + 1; end++) {
        assert.equal(unfinishedTagStart(whole.slice(0, end)), 2, whole.slice(0, end));
    }
    assert.equal(unfinishedTagStart(whole), -1);
});
