import test from 'node:test';
import assert from 'node:assert/strict';
import { setLogLevel } from '../../src/log.js';

setLogLevel('SILENT');

/** A SillyTavern whose open chat can be switched, and a fetch that records save requests. */
function stage() {
    const state = {
        chatId: 'Sera - 1', chat: [{ mes: 'hello' }], metadata: { integrity: 'abc' },
        characters: [{ name: 'Sera', avatar: 'Sera.png', chat: 'Sera - 1' }],
    };
    /** @type {any} */ (globalThis).SillyTavern = {
        getContext: () => ({
            getCurrentChatId: () => state.chatId, chat: state.chat, chatMetadata: state.metadata,
            characters: state.characters, characterId: 0, groupId: null,
            getRequestHeaders: () => ({ 'Content-Type': 'application/json' }),
        }),
    };
    /** @type {Array<{url: string, body: any}>} */
    const requests = [];
    /** @type {Array<() => void>} */
    const held = [];
    let hold = false;
    const fetch = async (/** @type {string} */ url, /** @type {any} */ init) => {
        requests.push({ url, body: JSON.parse(init.body) });
        if (hold) await new Promise((r) => held.push(() => r(undefined)));
        return /** @type {any} */ ({ ok: true, json: async () => ({}) });
    };
    return { state, requests, fetch, holdNext: (/** @type {boolean} */ on) => { hold = on; }, release: () => held.splice(0).forEach((r) => r()) };
}

const { ChatSaver } = await import('../../src/chat/save.js');

test('changes made close together share one save of the open chat, with its metadata', async () => {
    const { requests, fetch } = stage();
    const saver = new ChatSaver({ fetch });
    const results = await Promise.all([saver.request('Sera - 1'), saver.request('Sera - 1')]);
    assert.deepEqual(results, [true, true]);
    assert.equal(requests.length, 1);
    const { url, body } = requests[0];
    assert.equal(url, '/api/chats/save');
    assert.equal(body.file_name, 'Sera - 1');
    assert.equal(body.avatar_url, 'Sera.png');
    assert.equal(body.force, false);
    assert.deepEqual(body.chat[0].chat_metadata, { integrity: 'abc' });
    assert.deepEqual(body.chat.slice(1), [{ mes: 'hello' }]);
    assert.equal(saver.idle, true);
});

test('a change for a chat that was closed before the save is not saved anywhere', async () => {
    const { state, requests, fetch } = stage();
    const saver = new ChatSaver({ fetch });
    const pending = saver.request('Sera - 1');
    state.chatId = 'Sera - 2';
    state.characters[0].chat = 'Sera - 2';
    assert.equal(await pending, false);
    assert.equal(requests.length, 0);
});

test('it waits while a generation runs, then saves', async () => {
    const { requests, fetch } = stage();
    let busy = true;
    const saver = new ChatSaver({ fetch, busy: () => busy });
    const pending = saver.request('Sera - 1');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(requests.length, 0);
    busy = false;
    assert.equal(await pending, true);
    assert.equal(requests.length, 1);
});

test('one request at a time: a change made during a save gets a save of its own after it', async () => {
    const { state, requests, fetch, holdNext, release } = stage();
    const saver = new ChatSaver({ fetch });
    holdNext(true);
    const first = saver.request('Sera - 1');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(requests.length, 1);
    holdNext(false);
    state.chat.push({ mes: 'picture' });
    const second = saver.request('Sera - 1');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(requests.length, 1, 'no second request while the first is in flight');
    release();
    assert.deepEqual(await Promise.all([first, second]), [true, true]);
    assert.equal(requests.length, 2);
    assert.equal(requests[1].body.chat.length, 3);
});

test('a failed save reports false, so the caller keeps its change', async () => {
    const { fetch: _unused } = stage();
    const saver = new ChatSaver({ fetch: async () => /** @type {any} */ ({ ok: false, status: 400, json: async () => ({ error: 'integrity' }) }) });
    assert.equal(await saver.request('Sera - 1'), false);
});

test('the early save of a reply is the chat as it was when the reply arrived, even if another chat opens at once', async () => {
    const { state, requests, fetch } = stage();
    const saver = new ChatSaver({ fetch });
    state.chat.push({ mes: 'the reply' });
    const reply = state.chat;
    const saved = saver.saveNow();
    // SillyTavern opens another chat right away: it empties the array and loads the new one.
    state.chatId = 'Sera - 2';
    state.characters[0].chat = 'Sera - 2';
    reply.splice(0, reply.length, { mes: 'another chat' });
    assert.equal(requests.length, 0, 'the JSON is made later, not inside the listener');
    assert.equal(await saved, true);
    assert.equal(requests.length, 1);
    assert.equal(requests[0].body.file_name, 'Sera - 1');
    assert.deepEqual(requests[0].body.chat.slice(1), [{ mes: 'hello' }, { mes: 'the reply' }]);
});

test('the reply\'s pictures written before the early save is taken ride with it: one save, not two', async () => {
    const { state, requests, fetch } = stage();
    const saver = new ChatSaver({ fetch, busy: () => true }); // a generation runs: our own save would wait
    state.chat.push({ mes: 'the reply' });
    const early = saver.saveNow();
    // In the same task as MESSAGE_RECEIVED: the pictures are written into the reply.
    const since = saver.mark();
    state.chat[1].mes = 'the reply <img data-iig>';
    state.metadata.inline_images = { kept: 1 };
    const pictures = saver.request('Sera - 1', since);
    assert.equal(await early, true);
    assert.equal(await pictures, true, 'answered by the early save');
    assert.equal(requests.length, 1);
    assert.equal(requests[0].body.chat[2].mes, 'the reply <img data-iig>');
    assert.deepEqual(requests[0].body.chat[0].chat_metadata.inline_images, { kept: 1 }, 'the metadata as it is when taken');
    // A change marked before that save and asked for after it: already saved.
    assert.equal(await saver.request('Sera - 1', since), true);
    assert.equal(requests.length, 1);
});

test('a change made after the early save was taken gets a save of its own', async () => {
    const { state, requests, fetch } = stage();
    const saver = new ChatSaver({ fetch });
    state.chat.push({ mes: 'the reply' });
    const early = saver.saveNow();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(requests.length, 1, 'the early save is taken');
    const since = saver.mark();
    state.chat[1].mes = 'the reply, a picture later';
    assert.equal(await early, true);
    assert.equal(await saver.request('Sera - 1', since), true);
    assert.equal(requests.length, 2);
    assert.equal(requests[1].body.chat[2].mes, 'the reply, a picture later');
});

test('when another chat opens before the early save is taken, the changes of the new chat are not counted as saved', async () => {
    const { state, requests, fetch } = stage();
    const saver = new ChatSaver({ fetch });
    state.chat.push({ mes: 'the reply' });
    const early = saver.saveNow();
    state.chatId = 'Sera - 2';
    state.characters[0].chat = 'Sera - 2';
    state.chat.splice(0, state.chat.length, { mes: 'another chat' });
    const since = saver.mark();
    state.chat[0].mes = 'another chat, changed';
    const other = saver.request('Sera - 2', since);
    assert.equal(await early, true);
    assert.equal(await other, true);
    assert.equal(requests.length, 2);
    assert.equal(requests[0].body.file_name, 'Sera - 1');
    assert.equal(requests[1].body.file_name, 'Sera - 2');
    assert.equal(requests[1].body.chat[1].mes, 'another chat, changed');
});

test('the early save waits for the reply\'s listeners, then goes before SillyTavern\'s own save', async () => {
    const { state, requests, fetch } = stage();
    /** @type {() => void} */
    let listenersDone = () => {};
    const saver = new ChatSaver({ fetch, replyHandled: () => new Promise((r) => { listenersDone = () => r(undefined); }) });
    state.chat.push({ mes: 'the reply' });
    const early = saver.saveNow();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(requests.length, 0, 'nothing while the reply\'s listeners run');
    state.chat[1].mes = 'the reply, as a listener left it';
    listenersDone();
    assert.equal(await early, true);
    assert.equal(requests[0].body.chat[2].mes, 'the reply, as a listener left it');
});
