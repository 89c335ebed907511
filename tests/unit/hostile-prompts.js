// Prompts a hostile (or merely unlucky) model might write, shared by the unit tests
// (hostile.test.js) and the end-to-end tests (tests/e2e/hostile_prompts.json holds the same list;
// a unit test keeps the two in sync). Each string is the prompt itself, as the model meant it.

const TEN_KB = '"><img src=x onerror=alert(1)>'.repeat(400).slice(0, 10_240);

/** @type {string[]} */
export const HOSTILE_PROMPTS = [
    // Breaking out of the attribute the prompt ends up in.
    '"><script>alert(1)</script>',
    '" onerror="alert(1)',
    'x" onerror="alert(1)',
    "' onerror='alert(1)",
    'x" onload="alert(1)" y="',
    '"/><img src=x onerror=alert(1)>',
    "'\"><svg/onload=alert(1)>",
    '`onerror=alert(1)`',
    // Entities, plain and double-encoded, that decode into a break-out.
    '&quot; onerror=&quot;alert(1)',
    '&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;',
    '&amp;quot;&amp;gt; double-encoded &amp;amp;',
    '&lt;img src=x onerror=alert(1)&gt;',
    '&#x22;&#x3e; hex entities &#60;b&#62;',
    // URLs that run script.
    'javascript:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1) and JaVaScRiPt&colon;alert(1)',
    // Elements that parse their content differently.
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<svg><script>alert(1)</script></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<svg><foreignObject><img src=x onerror=alert(1)></foreignObject></svg>',
    '<template><img src=x onerror=alert(1)></template>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<textarea></textarea><img src=x onerror=alert(1)>',
    '</span></p><img src=x onerror=alert(1)>',
    '--><img src=x onerror=alert(1)><!--',
    '<img-prompt="nested">',
    '<!--img-prompt="nested"-->',
    // Escapes, unicode and control characters.
    '\\" \\\' \\\\ trailing backslash \\',
    '\\u003cscript\\u003ealert(1)\\u003c/script\\u003e',
    '\u202eevil\u202c and \u2066isolated\u2069 text',
    'zero\u200bwidth\u200djoiner\ufeffbom',
    'nul\u0000and\u0001control\u001fchars\u007f',
    'line\r\nbreaks\tand\ttabs',
    '\uff1cscript\uff1ealert(1)\uff1c/script\uff1e',
    'a red fox 🦊, 雪の狐, ثعلب أحمر',
    // SillyTavern macros and slash commands.
    '{{char}} {{user}} {{random::a,b}}',
    '{{setvar::x::1}}{{getvar::x}}',
    '|/sd quiet=true evil|',
    '/echo hi | /sendas name=x',
    // CSS.
    '</style><style>*{display:none}</style>',
    'style="background:url(javascript:alert(1))"',
    'width: expression(alert(1))',
    // Long: past the prompt cap.
    TEN_KB,
];
