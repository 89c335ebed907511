import test from 'node:test';
import assert from 'node:assert/strict';
import { prunedForCount } from '../../src/chat/token-warm.js';
import { imageMarkup } from '../../src/format/pictures.js';

const picture = imageMarkup({ src: '/user/images/a.png', prompt: 'a fox' });

test('the messages holding our pictures, pruned, as Send will count them (role, then content)', () => {
    const chat = [
        { role: 'system', content: 'You are a storyteller.' },
        { role: 'assistant', content: `Seraphina: The fox ran. <img-prompt="a fox">${picture} Away.` },
        { role: 'user', content: 'Go on.' },
    ];
    const counted = prunedForCount(chat);
    assert.deepEqual(counted, [{ role: 'assistant', content: 'Seraphina: The fox ran. <img-prompt="a fox"> Away.' }]);
    // The cache key is the JSON of the object: the keys' order is part of it.
    assert.equal(JSON.stringify(counted[0]), '{"role":"assistant","content":"Seraphina: The fox ran. <img-prompt=\\"a fox\\"> Away."}');
});

test('a message with a name is counted both ways (SillyTavern counts the name when it sends names)', () => {
    const counted = prunedForCount([{ role: 'assistant', content: `A.${picture}`, name: 'Seraphina' }]);
    assert.deepEqual(counted.map((m) => Object.keys(m)), [['role', 'content'], ['role', 'content', 'name']]);
});

test('nothing to count ahead: no pictures, pictures not ours, multimodal parts, junk', () => {
    assert.deepEqual(prunedForCount([
        { role: 'user', content: 'plain' },
        { role: 'user', content: 'data-iig written by hand, no picture' },
        { role: 'assistant', content: [{ type: 'text', text: `x${picture}` }] },
        null, 7, { content: `x${picture}` },
    ]), []);
    assert.deepEqual(prunedForCount(/** @type {any} */ (undefined)), []);
});
