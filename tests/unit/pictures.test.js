import test from 'node:test';
import assert from 'node:assert/strict';
import { parseTags } from '../../src/format/tags.js';
import { imageMarkup, imageAfter, insertImage, stripImages, replaceTagPrompt } from '../../src/format/pictures.js';
import { escapeAttr } from '../../src/format/html.js';

test('escapeAttr escapes the five characters', () => {
    assert.equal(escapeAttr(`a&b"c'd<e>f`), 'a&amp;b&quot;c&#39;d&lt;e&gt;f');
    assert.equal(escapeAttr('&amp;'), '&amp;amp;');
});

test('imageMarkup has the exact format', () => {
    assert.equal(imageMarkup({ src: '/img/a.png', prompt: 'a fox' }), '<img data-iig="1" src="/img/a.png" title="a fox" alt="a fox">');
});

test('hostile prompt and src are escaped: no raw > or quote before the end', () => {
    const markup = imageMarkup({ src: 'x" onerror="alert(1)', prompt: '"><script>alert(1)</script>' });
    assert.equal(markup.indexOf('>'), markup.length - 1);
    assert.ok(!markup.includes('<script'));
    assert.equal(markup.match(/"/g)?.length, 8, 'only the attribute delimiters are quotes');
    const text = `<img-prompt="x">${markup}`;
    const found = imageAfter(text, parseTags(text)[0]);
    assert.deepEqual(found, { start: 16, end: text.length, src: 'x" onerror="alert(1)', title: '"><script>alert(1)</script>', negative: '' });
    // The prompt sent (cast looks added) is the title, as hostile as the rest and as escaped.
    const sent = imageMarkup({ src: 'a.png', prompt: 'p', sent: '" onload="alert(1)"><b>' });
    assert.equal(sent.indexOf('>'), sent.length - 1);
    assert.equal(sent.match(/"/g)?.length, 8);
    const withSent = `<img-prompt="p">${sent}`;
    assert.equal(imageAfter(withSent, parseTags(withSent)[0])?.title, '" onload="alert(1)"><b>');
    assert.match(sent, /alt="p">$/, 'alt keeps the tag prompt');
    // The negative sent is hostile text too, escaped the same way, and read back exactly.
    const hostileNegative = '" onerror="alert(1)"><script>x</script>';
    const withNegative = imageMarkup({ src: 'a.png', prompt: 'p', negative: hostileNegative });
    assert.equal(withNegative.indexOf('>'), withNegative.length - 1);
    const negText = `<img-prompt="p">${withNegative}`;
    assert.equal(imageAfter(negText, parseTags(negText)[0])?.negative, hostileNegative);
});

test('imageAfter: directly after, after a space or one newline, not across a blank line', () => {
    const img = imageMarkup({ src: 'a.png', prompt: 'p' });
    for (const gap of ['', ' ', '\n', ' \n  ', '\r\n']) {
        const text = `<img-prompt="p">${gap}${img} rest`;
        const found = imageAfter(text, parseTags(text)[0]);
        assert.ok(found, JSON.stringify(gap));
        assert.equal(text.slice(found.start, found.end), img);
        assert.equal(found.src, 'a.png');
    }
    for (const gap of ['\n\n', '\n \n', ' x ']) {
        const text = `<img-prompt="p">${gap}${img}`;
        assert.equal(imageAfter(text, parseTags(text)[0]), null, JSON.stringify(gap));
    }
});

test('imageAfter ignores images that are not ours', () => {
    for (const other of ['<img src="a.png">', '<imgx data-iig="1">', '<img data-iig="1" src="a.png"', '<IMG alt="x">']) {
        const text = `<img-prompt="p">${other}`;
        assert.equal(imageAfter(text, parseTags(text)[0]), null, other);
    }
    const text = '<img-prompt="p"><IMG DATA-IIG src=\'b.png\' alt="a > b">';
    assert.deepEqual(imageAfter(text, parseTags(text)[0]), { start: 16, end: text.length, src: 'b.png', title: '', negative: '' });
});

test('insertImage inserts right after the tag and keeps it', () => {
    const text = 'Story. <img-prompt="a fox"> More.';
    const markup = imageMarkup({ src: 'f.png', prompt: 'a fox' });
    const result = insertImage(text, { ordinal: 0, prompt: 'a fox' }, markup);
    assert.equal(result.status, 'inserted');
    assert.equal(result.text, `Story. <img-prompt="a fox">${markup} More.`);
});

test('insertImage is idempotent', () => {
    const markup = imageMarkup({ src: 'f.png', prompt: 'a fox' });
    const once = insertImage('<img-prompt="a fox">', { ordinal: 0, prompt: 'a fox' }, markup);
    const twice = insertImage(once.text, { ordinal: 0, prompt: 'a fox' }, markup);
    assert.equal(twice.status, 'already');
    assert.equal(twice.text, once.text);
});

test('identical prompts: each image lands after its own tag', () => {
    const text = 'A <img-prompt="fox"> B <img-prompt="fox"> C';
    const m0 = imageMarkup({ src: '0.png', prompt: 'fox' });
    const m1 = imageMarkup({ src: '1.png', prompt: 'fox' });
    const r0 = insertImage(text, { ordinal: 0, prompt: 'fox' }, m0);
    const r1 = insertImage(r0.text, { ordinal: 1, prompt: 'fox' }, m1);
    assert.equal(r1.status, 'inserted');
    assert.equal(r1.text, `A <img-prompt="fox">${m0} B <img-prompt="fox">${m1} C`);
    // And in the other order.
    const s1 = insertImage(text, { ordinal: 1, prompt: 'fox' }, m1);
    const s0 = insertImage(s1.text, { ordinal: 0, prompt: 'fox' }, m0);
    assert.equal(s0.text, r1.text);
});

test('insertImage falls back to the first imageless tag with the prompt when ordinals moved', () => {
    const markup = imageMarkup({ src: 'f.png', prompt: 'fox' });
    const edited = '<img-prompt="owl"> <img-prompt="fox">'; // the fox was ordinal 0 before an edit
    const result = insertImage(edited, { ordinal: 0, prompt: 'fox' }, markup);
    assert.equal(result.status, 'inserted');
    assert.equal(result.text, `<img-prompt="owl"> <img-prompt="fox">${markup}`);
});

test('insertImage reports missing and leaves the text alone', () => {
    const text = 'no such <img-prompt="owl">';
    assert.deepEqual(insertImage(text, { ordinal: 0, prompt: 'fox' }, 'X'), { text, status: 'missing' });
    assert.deepEqual(insertImage('', { ordinal: 3, prompt: 'fox' }, 'X'), { text: '', status: 'missing' });
});

test('stripImages removes only our images, exactly', () => {
    const ours = imageMarkup({ src: 'a.png', prompt: 'a "fox" > b' });
    const text = `A <img-prompt="fox">${ours} B <img src="keep.png"> C ${ours}\nD <IMG data-iig src=x>`;
    assert.equal(stripImages(text), 'A <img-prompt="fox"> B <img src="keep.png"> C \nD ');
    assert.equal(stripImages('nothing here'), 'nothing here');
    assert.equal(stripImages('<img src="a" alt="data-iig">'), '<img src="a" alt="data-iig">');
});

test('stripImages does not touch text inside a tag prompt', () => {
    const text = '<img-prompt=\'<img data-iig="1" src=x>\'>';
    assert.equal(stripImages(text), text);
});

test('stripImages then insert round-trips', () => {
    const text = 'A <img-prompt="fox"> B';
    const markup = imageMarkup({ src: 'f.png', prompt: 'fox' });
    const inserted = insertImage(text, { ordinal: 0, prompt: 'fox' }, markup).text;
    assert.equal(stripImages(inserted), text);
});

test('stripImages stays fast on hostile text', () => {
    const hostile = `data-iig ${'<img a="x" b=\'y '.repeat(15_000)}`;
    const t0 = performance.now();
    stripImages(hostile);
    stripImages(`data-iig ${'<img data-iig x="'.repeat(15_000)}`);
    assert.ok(performance.now() - t0 < 2000);
});

test('replaceTagPrompt round-trips hard prompts through parseTags', () => {
    const hard = ['say "hi" > there', 'a & b &amp; c &quot;', 'back\\slash \\" and \\\\ and \\n', "it's <b>bold</b>", 'x\\'];
    for (const form of ['<img-prompt="old"/>', '<!-- img-prompt=\'old\' -->']) {
        for (const prompt of hard) {
            const text = `before ${form} after`;
            const out = replaceTagPrompt(text, parseTags(text)[0], prompt);
            const tags = parseTags(out);
            assert.equal(tags.length, 1, out);
            assert.equal(tags[0].prompt, prompt, out);
            assert.equal(tags[0].form, form.startsWith('<!--') ? 'comment' : 'tag');
            assert.ok(out.startsWith('before <') && out.endsWith('> after'), out);
            assert.equal(tags[0].raw.indexOf('>'), tags[0].raw.length - 1, 'no raw > inside');
        }
    }
});

test('replaceTagPrompt normalises whitespace and refuses blank or stale input', () => {
    const text = '<img-prompt="a">';
    const [tag] = parseTags(text);
    assert.equal(parseTags(replaceTagPrompt(text, tag, '  a\n b ')).at(0)?.prompt, 'a b');
    assert.throws(() => replaceTagPrompt(text, tag, '  '), /blank/);
    assert.throws(() => replaceTagPrompt(`x${text}`, tag, 'b'), /stale/);
});
