import test from 'node:test';
import assert from 'node:assert/strict';
import { beyondPrompt, prunedForCount } from '../../src/chat/token-warm.js';
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

test('past the dry run\'s window: as many older messages again, made as the window\'s were, pruned', () => {
    const history = [];
    for (let i = 0; i < 10; i++) {
        history.push({ name: 'User', is_user: true, mes: `Go on ${i}.` });
        history.push({ name: 'Sera', is_user: false, mes: `Reply ${i}, {{char}} smiles.<img-prompt="p${i}">${picture}` });
    }
    history.splice(3, 0, { name: 'System', is_system: true, mes: 'a hidden note' });
    const substitute = (/** @type {string} */ t) => t.replaceAll('{{char}}', 'Sera');
    // The dry run held the last 3 messages; in a group, names go before each text.
    const window = history.slice(-3).map((m) => ({ role: m.is_user ? 'user' : 'assistant', content: substitute(`${m.name}: ${m.mes}`) }));
    const beyond = beyondPrompt(history, window, substitute);
    assert.deepEqual(beyond, [
        { role: 'user', content: 'User: Go on 7.' },
        { role: 'assistant', content: 'Sera: Reply 7, Sera smiles.<img-prompt="p7">' },
        { role: 'user', content: 'User: Go on 8.' },
    ], 'the 3 messages before the window, oldest first, the illustrated one pruned');
});

test('nothing of the prompt in the chat (another chat, or a prompt made otherwise): nothing beyond', () => {
    assert.deepEqual(beyondPrompt([{ name: 'Sera', mes: `x${picture}` }], [{ role: 'assistant', content: 'unrelated' }]), []);
    assert.deepEqual(beyondPrompt([], []), []);
});

test('pruneAhead prunes the newest illustrated texts first and stops when told', async () => {
    const { pruneAhead } = await import('../../src/chat/token-warm.js');
    const { pruneText } = await import('../../src/format/prune.js');
    const history = Array.from({ length: 50 }, (_, i) => ({ mes: i % 2 ? `reply ${i} <img data-iig="1" src="/p${i}.png">` : `user ${i}` }));
    let asked = 0;
    await pruneAhead(history, () => ++asked < 100);
    assert.equal(pruneText(history[49].mes), 'reply 49 ');
    let calls = 0;
    await pruneAhead(history, () => (calls++, false));
    assert.equal(calls, 1, 'asked once, then stopped');
});
