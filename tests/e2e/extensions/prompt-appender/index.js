// A neighbour extension for the tests: it also appends a system message when the
// chat-completion prompt is ready, registering after Inline Images (higher loading_order).
const { eventSource, eventTypes } = SillyTavern.getContext();
eventSource.on(eventTypes.CHAT_COMPLETION_PROMPT_READY, (data) => {
    if (data.dryRun) return;
    data.chat.push({ role: 'system', content: '[prompt-appender] a neighbour extension was here' });
});
