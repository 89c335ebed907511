import test from 'node:test';
import assert from 'node:assert/strict';
import { WRITER_MARK, writerMessages } from '../../src/core/writer-prompt.js';
import { readWriterAnswer } from '../../src/core/placement.js';

test('the writer request: marked, in the preset\'s style, with the cast, the context and the reply', () => {
    const reply = 'word '.repeat(600);
    const [system, user] = writerMessages({ style: 'tags', reply, context: [{ name: 'You', text: 'Go north.' }, { name: 'S', text: '' }], cast: 'CAST BLOCK', max: 4, words: 250 });
    assert.equal(system.role, 'system');
    assert.ok(system.content.startsWith(WRITER_MARK));
    assert.match(system.content, /choose up to 2 moments .*at most 4/);
    assert.match(system.content, /Danbooru-style tags/);
    assert.match(system.content, /CAST BLOCK/);
    assert.match(system.content, /\{"images": \[\{"quote"/);
    assert.match(user.content, /^Earlier in the story:\nYou: Go north\.\n\nThe passage to illustrate:\nword/);
    assert.doesNotMatch(user.content, /S: /, 'empty messages are left out');
    const prose = writerMessages({ style: 'prose', reply: 'short reply', max: 6 });
    assert.match(prose[0].content, /choose up to 1 moments/);
    assert.match(prose[0].content, /plain English/);
    assert.doesNotMatch(prose[1].content, /Earlier/);
});

test('the form the request asks for is the form the reader reads', () => {
    const [system] = writerMessages({ style: 'prose', reply: 'x', max: 2 });
    const example = system.content.match(/\{"images": .*\}\]\}/)?.[0] ?? '';
    assert.deepEqual(readWriterAnswer(example).items, [{ quote: 'words from the passage', prompt: 'the image prompt' }]);
});
