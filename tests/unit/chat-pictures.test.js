import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { collectPictures, drawingProgress, groupByMessage, imageOrdinal, placeholderOrdinal } from '../../src/format/chat-pictures.js';
import { safeImageUrl, downloadName } from '../../src/format/urls.js';
import { imageMarkup } from '../../src/format/pictures.js';

const img = (src, prompt, sent) => imageMarkup({ src, prompt, sent });

test('collectPictures: every picture of ours, in reading order across messages', () => {
    const chat = [
        { mes: 'Hello', is_user: false, name: 'S' },
        { mes: '<img-prompt="not mine">' + img('/u.png', 'not mine'), is_user: true, name: 'You' },
        { mes: `A <img-prompt="fox">${img('/fox.png', 'fox', 'ink, fox')} B <img-prompt="owl"> C <img-prompt="elk">${img('/elk.png', 'elk')}`, name: 'S' },
        { mes: 'system note', is_system: true },
        { mes: `<img-prompt="sea">${img('/sea.png', 'sea')}`, name: 'S' },
    ];
    const pictures = collectPictures(chat);
    assert.deepEqual(pictures.map((p) => [p.messageIndex, p.ordinal, p.src, p.prompt, p.sent]), [
        [2, 0, '/fox.png', 'fox', 'ink, fox'],
        [2, 2, '/elk.png', 'elk', 'elk'],
        [4, 0, '/sea.png', 'sea', 'sea'],
    ]);
    assert.deepEqual(groupByMessage(pictures).map((g) => [g.messageIndex, g.pictures.map((p) => p.at)]), [[2, [0, 1]], [4, [2]]]);
});

test('collectPictures: an image a user or model wrote without a tag, or a bare <img>, is not ours', () => {
    const chat = [{ mes: '<img src="/x.png"> <img-prompt="a">\n\n' + img('/far.png', 'a'), name: 'S' }];
    assert.deepEqual(collectPictures(chat), [], 'a blank line parts an image from its tag');
    assert.deepEqual(collectPictures([null, undefined, { mes: 42 }]), []);
});

test('drawingProgress: "drawing n of m" while some are drawn, null when none is', () => {
    const text = `<img-prompt="a">${img('/a.png', 'a')} <img-prompt="b"> <img-prompt="c"> <img-prompt="d">`;
    const states = new Map([[1, { status: 'pending' }], [2, { status: 'pending' }], [3, { status: 'over' }]]);
    assert.deepEqual(drawingProgress(text, states), { current: 2, total: 3 });
    states.set(1, { status: 'ready' });
    assert.deepEqual(drawingProgress(text, states), { current: 3, total: 3 });
    states.set(2, { status: 'failed' });
    assert.equal(drawingProgress(text, states), null, 'a failed one shows its own box');
    assert.equal(drawingProgress(text, null), null);
});

test('safeImageUrl: pictures on the server and image data only; never a script', () => {
    const base = 'http://127.0.0.1:8000/';
    assert.equal(safeImageUrl('/user/images/S/a b.png', base), 'http://127.0.0.1:8000/user/images/S/a%20b.png');
    assert.equal(safeImageUrl('https://cdn.example/x.webp', base), 'https://cdn.example/x.webp');
    assert.equal(safeImageUrl('data:image/png;base64,AAAA', base), 'data:image/png;base64,AAAA');
    for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>',
        'vbscript:x', 'file:///etc/passwd', '', '   ', 'data:image/svg+xml,<svg onload=alert(1)>']) {
        assert.equal(safeImageUrl(bad, base), null, bad);
    }
});

test('safeImageUrl: whatever the text, the result is null or an http(s), blob or raster data URL', () => {
    fc.assert(fc.property(fc.string(), (src) => {
        const url = safeImageUrl(src, 'http://127.0.0.1:8000/');
        assert.ok(url === null || /^(https?:|blob:|data:image\/(png|jpe?g|webp|gif|avif);)/i.test(url), url ?? '');
    }));
});

test('downloadName: the file\'s own name, or a safe default', () => {
    assert.equal(downloadName('http://h/user/images/Sera/Sera_2026-12-01%4012h00m00s000ms.png'), 'Sera_2026-12-01@12h00m00s000ms.png');
    assert.equal(downloadName('http://h/x/%E0%A4%A.png'), '%E0%A4%A.png', 'not decodable: kept as it is');
    assert.equal(downloadName('http://h/x/run.sh'), 'inline-image.png');
    assert.equal(downloadName('data:image/png;base64,AAAA'), 'inline-image.png');
});

test('imageOrdinal: the n-th picture shown is the tag it was drawn for, written or still held', () => {
    const text = `<img-prompt="a">${img('/a.png', 'a')} <img-prompt="b"> <img-prompt="c">${img('/c.png', 'c')}`;
    assert.equal(imageOrdinal(text, 0), 0);
    assert.equal(imageOrdinal(text, 1), 2);
    assert.equal(imageOrdinal(text, 2), -1);
    // b's picture is finished but not written yet (the reply streams): the display shows it.
    const states = new Map([[1, { status: 'ready', src: '/b.png' }]]);
    assert.equal(imageOrdinal(text, 1, states), 1);
    assert.equal(imageOrdinal(text, 2, states), 2);
    assert.equal(imageOrdinal(text, 1, new Map([[1, { status: 'pending' }]])), 2, 'a box is not a picture');
});

test('placeholderOrdinal: the n-th box shown is the n-th tag without a picture that has a state', () => {
    const text = `<img-prompt="a"> <img-prompt="b">${img('/b.png', 'b')} <img-prompt="c"> <img-prompt="d">`;
    const states = new Map([[0, { status: 'failed' }], [3, { status: 'over' }]]);
    assert.equal(placeholderOrdinal(text, states, 0), 0);
    assert.equal(placeholderOrdinal(text, states, 1), 3);
    assert.equal(placeholderOrdinal(text, states, 2), -1);
    assert.equal(placeholderOrdinal(text, null, 0), -1);
});
