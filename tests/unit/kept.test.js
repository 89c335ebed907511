import test from 'node:test';
import assert from 'node:assert/strict';
import { setLogLevel } from '../../src/log.js';

setLogLevel('SILENT');

/** A SillyTavern whose open chat can be switched as SillyTavern does it: the id first, the messages later. */
function stage() {
    const state = { chatId: 'A', chat: /** @type {any[]} */ ([]), settings: /** @type {any} */ ({}) };
    /** @type {any} */ (globalThis).document = { querySelector: () => null, getElementById: () => null };
    /** @type {any} */ (globalThis).SillyTavern = {
        getContext: () => ({
            getCurrentChatId: () => state.chatId, chat: state.chat, chatMetadata: {},
            characters: [{ name: 'S', avatar: 'S.png', chat: state.chatId }], characterId: 0, groupId: null,
            extensionSettings: state.settings, saveSettingsDebounced: () => {},
            eventSource: { emit: async () => {} }, eventTypes: {}, updateMessageBlock: () => {},
            getRequestHeaders: () => ({}),
        }),
    };
    return state;
}

const { KeptPictures } = await import('../../src/picture/kept.js');
const { WritePath } = await import('../../src/chat/write-path.js');
const { markChatLoaded } = await import('../../src/chat/open-chat.js');
const { identify } = await import('../../src/picture/identity.js');

/**
 * A finished job's record, as the jobs hand it over (its message was at `index`).
 * @param {{chatId: string, message: any, index: number, swipeId: number, ordinal: number, prompt: string, src: string}} done
 */
const job = ({ index, ...done }) => /** @type {any} */ ({ ...done, identity: identify(done.message, index, done.swipeId) });

/** A saver that always succeeds at once. */
const saver = /** @type {any} */ ({ mark: () => 0, request: async () => true, idle: true });

test('a kept picture is not given up while its chat is being opened, and lands once it is', async () => {
    const state = stage();
    const reply = { mes: 'Text <img-prompt="kite"> more', swipe_id: 0, swipes: ['Text <img-prompt="kite"> more'], send_date: 'd1', name: 'S' };
    state.chat.push({ mes: 'hi', is_user: true, name: 'U', send_date: 'd0' }, reply);
    markChatLoaded();
    const deliveries = new KeptPictures(new WritePath(saver));
    // The chat is left while the picture is drawn: it is kept for chat A.
    state.chatId = 'B';
    state.chat.length = 0;
    markChatLoaded();
    assert.equal(await deliveries.deliver(job({ chatId: 'A', message: reply, index: 1, swipeId: 0, ordinal: 0, prompt: 'kite', src: '/k.png' })), 'kept');
    // SillyTavern starts opening chat A: the id is A's, the messages are not there yet. A
    // generation ending now asks for the open chat's pictures.
    state.chatId = 'A';
    await deliveries.deliverOpenChat();
    assert.equal(deliveries.count('A'), 1, 'the picture is still kept');
    // The messages arrive (new objects), then CHAT_CHANGED.
    const reopened = structuredClone(reply);
    state.chat.push({ mes: 'hi', is_user: true, name: 'U', send_date: 'd0' }, reopened);
    markChatLoaded();
    await deliveries.deliverOpenChat();
    assert.equal(deliveries.count('A'), 0);
    assert.match(reopened.mes, /^Text <img-prompt="kite"><img data-iig="1" src="\/k.png"/);
    assert.equal(reopened.swipes[0], reopened.mes);
});

test('a kept picture whose message is really gone from the loaded chat is dropped', async () => {
    const state = stage();
    const reply = { mes: '<img-prompt="kite">', swipe_id: 0, send_date: 'd1', name: 'S' };
    state.chat.push(reply);
    markChatLoaded();
    const deliveries = new KeptPictures(new WritePath(saver));
    state.chatId = 'B';
    markChatLoaded();
    await deliveries.deliver(job({ chatId: 'A', message: reply, index: 0, swipeId: 0, ordinal: 0, prompt: 'kite', src: '/k.png' }));
    state.chatId = 'A';
    state.chat.length = 0;
    state.chat.push({ mes: 'another message', send_date: 'd9', name: 'S' });
    markChatLoaded();
    await deliveries.deliverOpenChat();
    assert.equal(deliveries.count('A'), 0);
    assert.equal(state.chat[0].mes, 'another message');
});

test('a picture kept by version 1.2.0 is read back after a reload and written with the prompt it was sent as', async () => {
    const state = stage();
    // As 1.2.0 saved it: `sent` was the prompt text alone.
    state.settings.inlineImagesHeld = [{
        chatId: 'A', identity: { index: 0, swipeId: 0, sendDate: 'd1', name: 'S', isUser: false },
        swipeId: 0, ordinal: 0, prompt: 'kite', src: '/k.png', sent: 'kite, red and blue', at: Date.now(),
    }];
    state.chat.push({ mes: 'Text <img-prompt="kite"> more', swipe_id: 0, send_date: 'd1', name: 'S' });
    markChatLoaded();
    const kept = new KeptPictures(new WritePath(saver));
    kept.load();
    assert.equal(kept.count('A'), 1);
    await kept.deliverOpenChat();
    assert.equal(kept.count('A'), 0);
    assert.match(state.chat[0].mes, /<img data-iig="1" src="\/k.png" title="kite, red and blue" alt="kite">/);
});
