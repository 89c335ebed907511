import test from 'node:test';
import assert from 'node:assert/strict';
import { setLogLevel } from '../../src/log.js';

setLogLevel('SILENT');

/** A SillyTavern with one open chat, counting renders, events and save requests. */
function stage() {
    const message = { mes: 'A <img-prompt="a"> B <img-prompt="b"> C <img-prompt="c">', swipe_id: 0, swipes: [''] };
    message.swipes[0] = message.mes;
    const counts = { renders: 0, events: /** @type {string[]} */ ([]), saves: 0 };
    const state = { chatId: 'chat A', chat: [{ mes: 'hi' }, message] };
    /** @type {any} */ (globalThis).document = { getElementById: () => null, querySelector: () => ({}) };
    /** @type {any} */ (globalThis).SillyTavern = {
        getContext: () => ({
            getCurrentChatId: () => state.chatId, chat: state.chat,
            updateMessageBlock: () => { counts.renders++; },
            eventTypes: { MESSAGE_EDITED: 'edited', MESSAGE_UPDATED: 'updated' },
            eventSource: { emit: async (/** @type {string} */ name) => { counts.events.push(name); } },
        }),
    };
    const saver = /** @type {any} */ ({ mark: () => 0, request: async () => { counts.saves++; return true; } });
    return { message, counts, state, saver };
}

const { WritePath } = await import('../../src/chat/write-path.js');
const { markChatLoaded } = await import('../../src/chat/open-chat.js');

/** @param {string} prompt */
const after = (prompt) => (/** @type {string} */ text) => text.includes(`${prompt}.png`) ? null : text.replace(`<img-prompt="${prompt}">`, `<img-prompt="${prompt}"><img data-iig="1" src="${prompt}.png">`);

test('a reply\'s pictures written in one turn: one render, one announcement, one save', async () => {
    const { message, counts, saver } = stage();
    markChatLoaded();
    const path = new WritePath(saver);
    const results = await Promise.all(['a', 'b', 'c'].map((p) => path.rewrite(message, 0, after(p))));
    assert.deepEqual(results.map((r) => r.status), ['written', 'written', 'written']);
    assert.deepEqual(await Promise.all(results.map((r) => r.saved)), [true, true, true]);
    assert.equal(counts.renders, 1);
    assert.deepEqual(counts.events, ['edited', 'updated']);
    assert.equal(counts.saves, 1);
    for (const p of ['a', 'b', 'c']) assert.ok(message.mes.includes(`src="${p}.png"`), p);
    assert.equal(message.swipes[0], message.mes, 'the swipe holds the same text');
});

test('each transform sees the text the ones before it made; one that changes nothing is unchanged', async () => {
    const { message, counts, saver } = stage();
    markChatLoaded();
    const path = new WritePath(saver);
    const seen = [];
    const [first, second, third] = await Promise.all([
        path.rewrite(message, 0, after('a')),
        path.rewrite(message, 0, (text) => { seen.push(text.includes('a.png')); return null; }),
        path.rewrite(message, 0, after('a')), // already there: nothing to do
    ]);
    assert.deepEqual([first.status, second.status, third.status], ['written', 'unchanged', 'unchanged']);
    assert.deepEqual(seen, [true]);
    assert.equal(counts.renders, 1);
});

test('rewrites in different turns are written apart; another chat open: all kept for later', async () => {
    const { message, counts, state, saver } = stage();
    markChatLoaded();
    const path = new WritePath(saver);
    await path.rewrite(message, 0, after('a'));
    await path.rewrite(message, 0, after('b'));
    assert.equal(counts.renders, 2);
    state.chatId = 'chat B';
    const results = await Promise.all([path.rewrite(message, 0, after('c'), { chatId: 'chat A' }), path.rewrite(message, 0, after('c'), { chatId: 'chat A' })]);
    assert.deepEqual(results.map((r) => r.status), ['later', 'later']);
    assert.ok(!message.mes.includes('c.png'));
});
