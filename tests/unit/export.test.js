// Exporting a chat: the story (text with picture markers), the HTML book and the EPUB files.
import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'parse5';

import { storyOf, pictureMarker, chapters, PICTURE_MARK } from '../../src/export/story.js';

/** The ids of the picture markers in a string, in order, as the shell finds them. @param {string} text */
const pictureIdsIn = (text) => Array.from(String(text).matchAll(new RegExp(`${PICTURE_MARK}(\\d+)X`, 'g')), (m) => Number(m[1]));
import { htmlBook, figureHtml, missingPictureHtml } from '../../src/export/html-book.js';
import { epubFiles, mediaTypeOf, extensionOf } from '../../src/export/epub-files.js';
import { imageMarkup } from '../../src/format/pictures.js';
import { countWords } from '../../src/format/text.js';

const img = (src, prompt, sent) => imageMarkup({ src, prompt, sent });
const HOSTILE = '<script>alert(1)</script>';

/**
 * A strict little XML well-formedness checker: one root, every start tag closed in order or
 * self-closed, attributes quoted and unique, no raw `<` or stray `&` in text or values.
 * @param {string} text @returns {string|null} what is wrong, or null
 */
function xmlProblem(text) {
    const stack = [];
    let roots = 0;
    let i = 0;
    const n = text.length;
    const badAmp = /&(?!(?:[A-Za-z][\w.-]*|#\d+|#x[\da-fA-F]+);)/;
    while (i < n) {
        const lt = text.indexOf('<', i);
        const chunk = text.slice(i, lt === -1 ? n : lt);
        if (badAmp.test(chunk)) return `stray & in text near ${i}`;
        if (!stack.length && chunk.trim()) return `text outside the root near ${i}`;
        if (lt === -1) break;
        if (text.startsWith('<?', lt)) { i = text.indexOf('?>', lt) + 2; if (i === 1) return 'unclosed <?'; continue; }
        if (text.startsWith('<!--', lt)) { i = text.indexOf('-->', lt) + 3; if (i === 2) return 'unclosed comment'; continue; }
        if (text.startsWith('<!DOCTYPE', lt)) { if (roots) return 'doctype after root'; i = text.indexOf('>', lt) + 1; continue; }
        const m = /^<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(text.slice(lt));
        if (!m) return `bad markup near ${lt}: ${text.slice(lt, lt + 40)}`;
        const [whole, close, name, attrs, selfClose] = m;
        const names = [...attrs.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*("[^"]*"|'[^']*')/g)];
        if (new Set(names.map((a) => a[1])).size !== names.length) return `duplicate attribute in <${name}>`;
        if (names.some((a) => badAmp.test(a[2]))) return `stray & in an attribute of <${name}>`;
        if (close) {
            if (attrs || selfClose) return `bad end tag </${name}>`;
            if (stack.pop() !== name) return `</${name}> closes the wrong element`;
        } else {
            if (!stack.length && roots++) return 'a second root element';
            if (!selfClose) stack.push(name);
        }
        i = lt + whole.length;
    }
    if (stack.length) return `unclosed <${stack.at(-1)}>`;
    return roots === 1 ? null : 'no root element';
}

test('the XML checker itself catches what it claims to', () => {
    assert.equal(xmlProblem('<?xml version="1.0"?><a x="1"><b/><c>t &amp; u</c></a>'), null);
    for (const bad of ['<a><b></a></b>', '<a>', '<a x=1></a>', '<a>x < y</a>', '<a>AT&T</a>', '<a/><b/>', '<a x="1" x="2"/>', '<a><br></a>']) {
        assert.notEqual(xmlProblem(bad), null, bad);
    }
});

function sampleChat() {
    return [
        { name: 'Sera', mes: `Rain fell. <img-prompt="fox">${img('/fox.png', 'fox', 'ink, fox')} The fox ran.`, send_date: 'June 1' },
        { name: 'Alex', is_user: true, mes: 'What now?' },
        { name: 'System', is_system: true, mes: `<img-prompt="sys">${img('/sys.png', 'sys')}` },
        {
            name: 'Sera',
            mes: `Broken <img-prompt="x" onerror="alert(1)"> here. <img src=x> stray.\n<!--img-prompt="owl"-->\n${img('/owl.png', 'owl')} end <img-prompt="undrawn">.`,
            swipes: [`Another <img-prompt="sea">${img('/sea.png', 'sea')}`, 'ignored'], swipe_id: 0,
        },
        null,
        { name: 'Sera', mes: 42 },
        { name: 'Sera', mes: `<img-prompt="only">${img('/only.png', 'only')}` },
        { name: 'Sera', mes: '<img-prompt="nothing drawn">' },
    ];
}

test('storyOf: our pictures become markers on paragraphs of their own, tags and broken tags go, the rest stays', () => {
    const story = storyOf(sampleChat());
    assert.deepEqual(story.map((m) => [m.index, m.name, m.isUser]), [
        [0, 'Sera', false], [1, 'Alex', true], [3, 'Sera', false], [6, 'Sera', false], [7, 'Sera', false],
    ], 'system messages, non-objects and non-string texts are skipped');
    assert.equal(story[0].text, `Rain fell. \n\n${pictureMarker(0)}\n\n The fox ran.`);
    assert.equal(story[0].date, 'June 1');
    assert.equal(story[1].date, '');
    assert.equal(story[2].text, `Broken  here. <img src=x> stray.\n\n\n${pictureMarker(1)}\n\n end .`,
        'the broken tag is gone, the model\'s own <img> is left for the sanitiser');
    assert.equal(story[3].text, `\n\n${pictureMarker(2)}\n\n`);
    assert.equal(story[4].text, '', 'a message left empty is still there (its name is shown)');
    assert.deepEqual(story.flatMap((m) => m.pictures), [
        { id: 0, src: '/fox.png', prompt: 'fox', sent: 'ink, fox' },
        { id: 1, src: '/owl.png', prompt: 'owl', sent: 'owl' },
        { id: 2, src: '/only.png', prompt: 'only', sent: 'only' },
    ], 'ids in reading order across the export; only the swipe shown counts');
    for (const m of story) {
        assert.ok(!/img-prompt|data-iig/.test(m.text), m.text);
        assert.deepEqual(pictureIdsIn(m.text), m.pictures.map((p) => p.id));
    }
});

test('storyOf: withUser false keeps only the characters\' messages, ids still from 0', () => {
    const story = storyOf(sampleChat(), { withUser: false });
    assert.deepEqual(story.map((m) => m.index), [0, 3, 6, 7]);
    assert.deepEqual(story.flatMap((m) => m.pictures.map((p) => p.id)), [0, 1, 2]);
    assert.deepEqual(storyOf([]), []);
});

test('storyOf: a picture whose image is parted from its tag by a blank line, or has no src, is not ours to pull out', () => {
    const [m] = storyOf([{ name: 'S', mes: `<img-prompt="a">\n\n${img('/far.png', 'a')}` }]);
    assert.deepEqual(m.pictures, []);
    assert.equal(m.text, `\n\n${img('/far.png', 'a')}`);
    const [blank] = storyOf([{ name: 'S', mes: 'x <img-prompt="a"><img data-iig="1" src="" alt="a"> y' }]);
    assert.deepEqual(blank.pictures, []);
    assert.equal(blank.text, 'x <img data-iig="1" src="" alt="a"> y', 'the tag goes; the empty image is left for the sanitiser');
});

test('markers read back as their ids, in order, and one id is never read inside another', () => {
    assert.deepEqual(pictureIdsIn(''), []);
    assert.deepEqual(pictureIdsIn(`${pictureMarker(1)}${pictureMarker(12)}`), [1, 12], 'the closing X keeps 1 apart from 12');
    assert.deepEqual(pictureIdsIn(`<p>${PICTURE_MARK}X ${PICTURE_MARK}7</p>`), [], 'half a marker is none');
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(10_000), fc.stringMatching(/^[a-z <>\/\n]{0,6}$/))), (pairs) => {
        const text = pairs.map(([id, prose]) => `<p>${prose}${pictureMarker(id)}</p>`).join('\n');
        assert.deepEqual(pictureIdsIn(text), pairs.map(([id]) => id));
    }));
});

/** @param {number} words @param {number} index */
const message = (words, index) => ({
    index, name: 'S', isUser: false, date: '', pictures: [],
    text: `${Array.from({ length: words }, () => 'word').join(' ')} ${pictureMarker(index)}`,
});
const wordsIn = (ms) => ms.reduce((sum, m) => sum + countWords(m.text.replaceAll(pictureMarker(m.index), '')), 0);

test('chapters: consecutive whole messages, a new chapter once the bound is reached, titled in order', () => {
    const ms = [4, 3, 5, 1, 10, 0, 2].map(message);
    const out = chapters(ms, { words: 7 });
    assert.deepEqual(out.map((c) => [c.title, c.messages.map((m) => m.index)]), [
        ['Chapter 1', [0, 1]], ['Chapter 2', [2, 3, 4]], ['Chapter 3', [5, 6]],
    ], 'markers are not words');
    assert.deepEqual(chapters([]), []);
    assert.equal(chapters([message(2000, 0), message(10, 1)]).length, 2, 'default bound 1500');
});

test('chapters: never splits or reorders a message, and only the last chapter may stay under the bound', () => {
    fc.assert(fc.property(fc.array(fc.nat(40), { maxLength: 30 }), fc.integer({ min: 1, max: 60 }), (counts, bound) => {
        const ms = counts.map(message);
        const out = chapters(ms, { words: bound });
        assert.deepEqual(out.flatMap((c) => c.messages), ms);
        out.forEach((c, k) => {
            assert.ok(c.messages.length > 0);
            assert.equal(c.title, `Chapter ${k + 1}`);
            if (k < out.length - 1) assert.ok(wordsIn(c.messages) >= bound);
            assert.ok(wordsIn(c.messages.slice(0, -1)) < bound, 'a chapter ends as soon as it is full');
        });
    }));
});

test('storyOf (property): no tag and none of our markup survives, one marker per picture of ours', () => {
    const prose = fc.stringMatching(/^[A-Za-z .,!?'"\n*_>-]{0,12}$/);
    const prompt = fc.stringMatching(/^[a-z][a-z ,]{0,10}$/);
    const piece = fc.oneof(
        prose.map((p) => ({ text: p, pictures: 0 })),
        prompt.map((p) => ({ text: `<img-prompt="${p}">`, pictures: 0 })),
        prompt.map((p) => ({ text: `<!--img-prompt="${p}"-->`, pictures: 0 })),
        fc.tuple(prompt, fc.constantFrom('', ' ', '\n'), fc.boolean()).map(([p, gap, comment]) => ({
            text: `${comment ? `<!--img-prompt="${p}"-->` : `<img-prompt="${p}">`}${gap}${img(`/p/${p}.png`, p, `style, ${p}`)}`,
            pictures: 1,
        })),
    );
    const chatArb = fc.array(fc.array(piece, { maxLength: 8 }), { maxLength: 5 });
    fc.assert(fc.property(chatArb, (messages) => {
        const chat = messages.map((pieces) => ({ name: 'S', mes: pieces.map((p) => p.text).join('') }));
        const story = storyOf(chat);
        const expected = messages.map((pieces) => pieces.reduce((sum, p) => sum + p.pictures, 0));
        assert.deepEqual(story.map((m) => pictureIdsIn(m.text).length), expected);
        assert.deepEqual(story.flatMap((m) => pictureIdsIn(m.text)), story.flatMap((m) => m.pictures.map((p) => p.id)));
        for (const m of story) assert.ok(!/img-prompt|data-iig/i.test(m.text), m.text);
    }), { numRuns: 2000 });
});

/** @param {any} node @param {(n: any) => void} visit */
function walk(node, visit) {
    visit(node);
    for (const child of node.childNodes ?? []) walk(child, visit);
}

test('htmlBook: one inert document, CSP first in the head, names and title escaped', () => {
    const book = htmlBook({
        title: `Sera ${HOSTILE}`, subtitle: 'with Alex · 3 December 2026', lang: 'en',
        messages: [
            { name: HOSTILE, isUser: false, html: '<p>Once.</p>' },
            { name: 'Alex " onclick="x', isUser: true, html: '<p>Twice.</p>' },
        ],
    });
    assert.equal(book.head, book.parts[0]);
    assert.equal(book.parts.length, 4, 'head, one part per message, the end');
    const html = book.parts.join('');
    assert.ok(html.startsWith('<!DOCTYPE html>'));
    assert.ok(html.trimEnd().endsWith('</html>'));
    assert.equal(html.match(/<html[\s>]/g)?.length, 1);
    assert.ok(!/<script/i.test(html), 'no script, not even the hostile name');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    const doc = parse(html);
    const root = doc.childNodes.find((n) => n.nodeName === 'html');
    assert.equal(root.attrs.find((a) => a.name === 'lang').value, 'en');
    const head = root.childNodes.find((n) => n.nodeName === 'head');
    const first = head.childNodes.find((n) => n.nodeName !== '#text');
    assert.equal(first.nodeName, 'meta');
    const attr = (n, name) => n.attrs.find((a) => a.name === name)?.value;
    assert.equal(attr(first, 'http-equiv'), 'Content-Security-Policy');
    assert.match(attr(first, 'content'), /^default-src 'none'; img-src data:; style-src 'unsafe-inline'/);
    assert.ok(!/frame-ancestors/.test(attr(first, 'content')));
    const metas = head.childNodes.filter((n) => n.nodeName === 'meta');
    assert.ok(metas.some((n) => attr(n, 'charset') === 'utf-8'));
    assert.ok(metas.some((n) => attr(n, 'name') === 'viewport'));
    const titleEl = head.childNodes.find((n) => n.nodeName === 'title');
    assert.equal(titleEl.childNodes[0].value, `Sera ${HOSTILE}`, 'the title reads as plain text');
    const speakers = [];
    walk(doc, (n) => {
        assert.ok(!(n.attrs ?? []).some((a) => /^on/i.test(a.name)), `event handler on <${n.nodeName}>`);
        assert.notEqual(n.nodeName, 'script');
        if (n.nodeName === 'h2') speakers.push(n.childNodes.map((c) => c.value).join(''));
        if (n.nodeName === 'section') assert.match(attr(n, 'class'), /^message (user|character)$/);
    });
    assert.deepEqual(speakers, [HOSTILE, 'Alex " onclick="x']);
    assert.match(html, /@media \(prefers-color-scheme: dark\)/);
    assert.match(html, /@media print[\s\S]*break-inside: avoid/);
});

test('figureHtml: the prompt stays inside its attribute; caption only when asked', () => {
    const prompt = `"><script>alert(1)</script>`;
    const with_ = figureHtml({ src: 'data:image/png;base64,AAAA', prompt, caption: true });
    const without = figureHtml({ src: 'data:image/png;base64,AAAA', prompt, caption: false });
    for (const html of [with_, without]) {
        assert.ok(!html.includes('<script'));
        assert.ok(html.includes('alt="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
        const fig = parse(html).childNodes[0].childNodes[1].childNodes[0];
        assert.equal(fig.nodeName, 'figure');
        assert.equal(fig.childNodes[0].attrs.find((a) => a.name === 'alt').value, prompt);
    }
    assert.match(with_, /<figcaption>&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/figcaption><\/figure>$/);
    assert.ok(!without.includes('figcaption'));
    assert.equal(figureHtml({ src: 'a" onerror="x', prompt: 'p' }), '<figure class="picture"><img src="a&quot; onerror=&quot;x" alt="p"></figure>');
});

test('missingPictureHtml: a muted note with the escaped prompt, in the caller\'s words', () => {
    assert.equal(missingPictureHtml('a <b>fox</b>'), '<p class="missing-picture">[Picture not found: a &lt;b&gt;fox&lt;/b&gt;]</p>');
    assert.equal(missingPictureHtml('fox', 'Bild fehlt'), '<p class="missing-picture">[Bild fehlt: fox]</p>');
});

function sampleBook(overrides = {}) {
    return {
        id: 'urn:uuid:12345678-1234-4234-8234-123456789abc',
        title: `Sera & "Co" ${HOSTILE}`,
        author: 'Alex <3',
        lang: 'en',
        modified: '2026-12-03T08:00:00Z',
        subtitle: 'with Alex · 3 December 2026',
        chapters: [
            { title: 'Chapter 1', body: '<section class="message character"><h2 class="speaker">Sera</h2><p>Once.</p><figure><img src="images/picture-0.png" alt="fox"/><figcaption>fox</figcaption></figure></section>' },
            { title: 'The <end>', body: '<p>Twice.</p>' },
        ],
        images: [{ path: 'images/picture-0.png', mediaType: 'image/png' }, { path: 'images/picture-1.jpg', mediaType: 'image/jpeg' }],
        cover: 'images/picture-1.jpg',
        ...overrides,
    };
}

test('epubFiles: every text file, in order, each well-formed', () => {
    const files = epubFiles(sampleBook());
    assert.deepEqual(files.map((f) => f.path), [
        'mimetype', 'META-INF/container.xml', 'OEBPS/content.opf', 'OEBPS/nav.xhtml', 'OEBPS/title.xhtml',
        'OEBPS/chapter-1.xhtml', 'OEBPS/chapter-2.xhtml', 'OEBPS/style.css',
    ]);
    assert.equal(files[0].text, 'application/epub+zip');
    for (const f of files.filter((x) => /\.(xml|opf|xhtml)$/.test(x.path))) {
        assert.equal(xmlProblem(f.text), null, f.path);
        assert.ok(f.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>'), f.path);
        assert.ok(!f.text.includes(HOSTILE), `${f.path}: the hostile title is escaped`);
    }
    for (const f of files.filter((x) => x.path.endsWith('.xhtml'))) {
        assert.match(f.text, /<!DOCTYPE html>\n<html xmlns="http:\/\/www.w3.org\/1999\/xhtml" xmlns:epub="http:\/\/www.idpf.org\/2007\/ops" lang="en" xml:lang="en">/);
        assert.match(f.text, /<meta charset="UTF-8"\/>\n<title>[^<]+<\/title>\n<link rel="stylesheet" type="text\/css" href="style.css"\/>/);
    }
    const chapter = files.find((f) => f.path === 'OEBPS/chapter-2.xhtml').text;
    assert.match(chapter, /<h1>The &lt;end&gt;<\/h1>\n<p>Twice.<\/p>/);
});

test('epubFiles: the package lists every file, marks the cover, reads title page then chapters', () => {
    const opf = epubFiles(sampleBook()).find((f) => f.path === 'OEBPS/content.opf').text;
    assert.match(opf, /<package xmlns="http:\/\/www.idpf.org\/2007\/opf" version="3.0" unique-identifier="book-id">/);
    assert.match(opf, /<dc:identifier id="book-id">urn:uuid:12345678-1234-4234-8234-123456789abc<\/dc:identifier>/);
    assert.match(opf, /<dc:title>Sera &amp; &quot;Co&quot; &lt;script&gt;/);
    assert.match(opf, /<dc:creator>Alex &lt;3<\/dc:creator>/);
    assert.match(opf, /<meta property="dcterms:modified">2026-12-03T08:00:00Z<\/meta>/);
    assert.match(opf, /<item id="nav" href="nav.xhtml" media-type="application\/xhtml\+xml" properties="nav"\/>/);
    assert.match(opf, /<item id="img-0" href="images\/picture-0.png" media-type="image\/png"\/>/);
    assert.match(opf, /<item id="img-1" href="images\/picture-1.jpg" media-type="image\/jpeg" properties="cover-image"\/>/);
    for (const id of ['title', 'chapter-1', 'chapter-2', 'css']) assert.match(opf, new RegExp(`<item id="${id}" `));
    const spine = [...opf.matchAll(/<itemref idref="([^"]+)"\/>/g)].map((m) => m[1]);
    assert.deepEqual(spine, ['title', 'chapter-1', 'chapter-2']);
    const ids = [...opf.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const id of ids) assert.match(id, /^[A-Za-z_][\w.-]*$/, 'ids are NCNames');
    const nav = epubFiles(sampleBook()).find((f) => f.path === 'OEBPS/nav.xhtml').text;
    assert.match(nav, /<nav epub:type="toc" id="toc">/);
    assert.deepEqual([...nav.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]), ['title.xhtml', 'chapter-1.xhtml', 'chapter-2.xhtml']);
    const titlePage = epubFiles(sampleBook()).find((f) => f.path === 'OEBPS/title.xhtml').text;
    assert.match(titlePage, /<img src="images\/picture-1.jpg" alt="Sera &amp; &quot;Co&quot; &lt;script&gt;alert\(1\)&lt;\/script&gt;"\/>/);
    assert.match(titlePage, /<p class="subtitle">with Alex · 3 December 2026<\/p>/);
});

test('epubFiles: no author, no cover, odd metadata: still a valid package', () => {
    const files = epubFiles(sampleBook({ author: '', cover: undefined, title: '  ', lang: 'not a language', modified: '2026-12-03T08:00:00.123Z', chapters: [{ title: '', body: '' }] }));
    const opf = files.find((f) => f.path === 'OEBPS/content.opf').text;
    assert.ok(!opf.includes('dc:creator'));
    assert.ok(!opf.includes('cover-image'));
    assert.match(opf, /<dc:title>Untitled<\/dc:title>/);
    assert.match(opf, /<dc:language>en<\/dc:language>/);
    assert.match(opf, /<meta property="dcterms:modified">2026-12-03T08:00:00Z<\/meta>/);
    assert.match(files.find((f) => f.path === 'OEBPS/chapter-1.xhtml').text, /<title>Chapter 1<\/title>/);
    assert.ok(!files.find((f) => f.path === 'OEBPS/title.xhtml').text.includes('<img'));
    for (const f of files.filter((x) => /\.(xml|opf|xhtml)$/.test(x.path))) assert.equal(xmlProblem(f.text), null, f.path);
    const spaced = epubFiles(sampleBook({ images: [{ path: 'images/a b#1.png', mediaType: 'image/png' }], cover: 'images/a b#1.png' }));
    assert.match(spaced.find((f) => f.path === 'OEBPS/content.opf').text, /href="images\/a%20b%231.png"/);
});

test('mediaTypeOf: sniffs PNG, JPEG, GIF and WebP from their first bytes, nothing else', () => {
    const bytes = (...xs) => new Uint8Array(xs.flatMap((x) => (typeof x === 'string' ? Array.from(x, (c) => c.charCodeAt(0)) : [x])));
    assert.equal(mediaTypeOf(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13)), 'image/png');
    assert.equal(mediaTypeOf(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF')), 'image/jpeg');
    assert.equal(mediaTypeOf(bytes('GIF89a', 1, 0)), 'image/gif');
    assert.equal(mediaTypeOf(bytes('GIF87a')), 'image/gif');
    assert.equal(mediaTypeOf(bytes('RIFF', 0x24, 0, 0, 0, 'WEBPVP8 ')), 'image/webp');
    for (const junk of [bytes(), bytes(0x89, 'PN'), bytes('RIFF', 0, 0, 0, 0, 'WAVE'), bytes('<svg'), bytes('GIF90a'), bytes(0xff, 0xd8)]) {
        assert.equal(mediaTypeOf(junk), null);
    }
    assert.deepEqual(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'text/html'].map(extensionOf),
        ['png', 'jpg', 'gif', 'webp', 'svg', 'bin']);
});
