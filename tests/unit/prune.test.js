import test from 'node:test';
import assert from 'node:assert/strict';
import { pruneText, pruneChatCompletion, restoreContinuedText } from '../../src/format/prune.js';
import { imageMarkup } from '../../src/format/pictures.js';

const img = imageMarkup({ src: '/user/images/fox.png', prompt: 'a fox' });

test('pruneText removes our images and keeps tags and other images', () => {
    assert.equal(pruneText(`A <img-prompt="a fox">${img} B <img src="u.png">`), 'A <img-prompt="a fox"> B <img src="u.png">');
    assert.equal(pruneText('plain'), 'plain');
});

test('pruneChatCompletion prunes string and text-part content in place', () => {
    const parts = [
        { type: 'text', text: `T <img-prompt="a fox">${img}` },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } },
        { type: 'text', text: 'untouched' },
        { type: 'text', text: 42 },
    ];
    const messages = [
        { role: 'system', content: 'rules' },
        { role: 'assistant', content: `S <img-prompt="a fox">${img} end` },
        { role: 'user', content: parts },
        { role: 'assistant', content: null },
        { role: 'assistant', content: `${img}${img}` },
    ];
    assert.equal(pruneChatCompletion(messages), 3);
    assert.equal(messages[0].content, 'rules');
    assert.equal(messages[1].content, 'S <img-prompt="a fox"> end');
    assert.equal(messages[2].content, parts, 'the same array, mutated');
    assert.deepEqual(parts.map((p) => p.text), ['T <img-prompt="a fox">', undefined, 'untouched', 42]);
    assert.deepEqual(parts[1], { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } });
    assert.equal(messages[3].content, null);
    assert.equal(messages[4].content, '');
});

test('pruneChatCompletion returns 0 when nothing changes and tolerates junk', () => {
    assert.equal(pruneChatCompletion([{ role: 'user', content: 'hi' }]), 0);
    assert.equal(pruneChatCompletion([]), 0);
    assert.equal(pruneChatCompletion(/** @type {any} */ ([null, 5, { role: 'x' }])), 0);
});

test('restoreContinuedText puts the images back into the continued part, once', () => {
    const original = `A <img-prompt="a fox">${img} B`;
    const continued = `${pruneText(original)} C <img-prompt="an owl"> D`;
    const restored = restoreContinuedText(continued, original);
    assert.equal(restored, `${original} C <img-prompt="an owl"> D`);
    assert.equal(restoreContinuedText(restored, original), restored, 'idempotent');
    // The user edited the old part, or there were no images: left alone.
    assert.equal(restoreContinuedText('A <img-prompt="a fox"> X C', original), 'A <img-prompt="a fox"> X C');
    assert.equal(restoreContinuedText('plain more', 'plain'), 'plain more');
});

test('pruning keeps a tag\'s shape, so the model sees its own habit', () => {
    const text = 'A. <img-prompt="a knight" shape="landscape"><img data-iig="1" src="/a.png" title="a knight" alt="a knight"> B.';
    assert.equal(pruneText(text), 'A. <img-prompt="a knight" shape="landscape"> B.');
});

test('pruneText gives the same answer when it remembers, and past its bound', () => {
    const texts = Array.from({ length: 6000 }, (_, i) => `Part ${i} <img-prompt="a fox ${i}">${imageMarkup({ src: `/user/images/f${i}.png`, prompt: `a fox ${i}` })} end`);
    for (let round = 0; round < 2; round++) {
        texts.forEach((text, i) => assert.equal(pruneText(text), `Part ${i} <img-prompt="a fox ${i}"> end`));
    }
    // The same text in a new string object (as a reload makes) reads the same.
    assert.equal(pruneText(`${texts[5].slice(0, 3)}${texts[5].slice(3)}`), 'Part 5 <img-prompt="a fox 5"> end');
});
