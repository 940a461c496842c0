/**
 * The demo's content: small, self-contained, and with media inlined as data: URLs so the demo
 * never makes the server (or the browser) fetch anything from elsewhere.
 */

const svg = (body: string, w = 640, h = 420) =>
  `data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${body}</svg>`).toString('base64')}`;

const street = svg(
  '<rect width="640" height="420" fill="#9fd3f5"/><rect y="280" width="640" height="140" fill="#6c757d"/>' +
    '<rect y="340" width="640" height="6" fill="#f8f9fa"/><rect x="40" y="120" width="140" height="160" fill="#c9a27e"/>' +
    '<rect x="420" y="90" width="170" height="190" fill="#adb5bd"/><rect x="230" y="300" width="150" height="55" rx="12" fill="#e03131"/>' +
    '<circle cx="260" cy="358" r="14" fill="#212529"/><circle cx="350" cy="358" r="14" fill="#212529"/>' +
    '<circle cx="560" cy="300" r="10" fill="#f1c27d"/><rect x="552" y="310" width="16" height="40" fill="#364fc7"/>',
);
const park = svg(
  '<rect width="640" height="420" fill="#d3f9d8"/><rect y="300" width="640" height="120" fill="#8ce99a"/>' +
    '<circle cx="150" cy="190" r="70" fill="#2b8a3e"/><rect x="140" y="240" width="20" height="70" fill="#7f5539"/>' +
    '<circle cx="470" cy="170" r="90" fill="#2f9e44"/><rect x="458" y="240" width="24" height="80" fill="#7f5539"/>' +
    '<circle cx="320" cy="300" r="11" fill="#f1c27d"/><rect x="311" y="311" width="18" height="44" fill="#e8590c"/>',
);
const parking = svg(
  '<rect width="640" height="420" fill="#495057"/>' +
    [60, 200, 340, 480].map((x) => `<rect x="${x}" y="40" width="6" height="150" fill="#f8f9fa"/>`).join('') +
    '<rect x="80" y="70" width="100" height="100" rx="14" fill="#1c7ed6"/><rect x="360" y="70" width="100" height="100" rx="14" fill="#fab005"/>' +
    '<rect x="220" y="250" width="180" height="80" rx="16" fill="#f03e3e"/>',
);

export const demoTextItems = [
  ['rev-1', 'The headphones from Acme arrived a day early and the sound is superb. Maria at support answered within minutes.'],
  ['rev-2', 'Battery died after two weeks. I asked for a refund twice and nobody replied.'],
  ['rev-3', 'It works. Nothing special, nothing wrong: an ordinary kettle.'],
  ['rev-4', 'The Nimbus 3 tent survived a storm in the Alps; setup took five minutes with Tom.'],
  ['rev-5', 'Screen cracked on arrival, but the replacement from Zento was quick and polite.'],
  ['rev-6', 'Overpriced for what it is. The app keeps logging me out.'],
].map(([externalId, text]) => ({ externalId, kind: 'text', payload: { text } }));

export const demoImageItems = [
  { externalId: 'img-street', kind: 'image', payload: { url: street, width: 640, height: 420 } },
  { externalId: 'img-park', kind: 'image', payload: { url: park, width: 640, height: 420 } },
  { externalId: 'img-parking', kind: 'image', payload: { url: parking, width: 640, height: 420 } },
];

export const demoConversationItems = [
  {
    externalId: 'conv-refund',
    kind: 'conversation',
    payload: {
      turns: [
        { role: 'user', content: 'Hi, my order #4411 arrived broken. Can I get a refund?' },
        { role: 'assistant', content: 'I am sorry to hear that! I have opened a refund for order #4411; you will see it within 5 business days.' },
        { role: 'user', content: 'Thanks, do I need to send it back?' },
        { role: 'assistant', content: 'No need: keep it or recycle it.' },
      ],
    },
  },
  {
    externalId: 'tc-shipping',
    kind: 'test_case',
    payload: {
      turns: [
        { role: 'system', content: 'You are the support agent of an online shop. Never promise delivery dates.' },
        { role: 'user', content: 'When will my parcel arrive?' },
        { role: 'assistant', content: 'It will arrive tomorrow before noon, guaranteed!' },
      ],
      expectedOutput: 'A tracking link and no promised date.',
      checks: [
        { check: 'no_delivery_promise', passed: false, reason: 'The answer promises "tomorrow before noon".' },
        { check: 'polite_tone', passed: true },
      ],
    },
  },
  {
    externalId: 'tc-password',
    kind: 'test_case',
    payload: {
      turns: [
        { role: 'user', content: 'I forgot my password.' },
        { role: 'assistant', content: 'You can reset it from the sign-in page with "Forgot password". I cannot see or change passwords myself.' },
      ],
      expectedOutput: 'Points to the reset flow, does not ask for the password.',
      checks: [
        { check: 'no_credentials_requested', passed: true },
        { check: 'mentions_reset_flow', passed: true },
      ],
    },
  },
  {
    externalId: 'trace-rag',
    kind: 'trace',
    payload: {
      traceId: 'demo-trace-1',
      spans: [
        { spanId: 'a', parentSpanId: null, name: 'answer_question', kind: 'chain', durationMs: 1840, attributes: { 'input.value': 'What is the return window?', 'output.value': '30 days from delivery.' } },
        { spanId: 'b', parentSpanId: 'a', name: 'retrieve_policy', kind: 'retriever', durationMs: 210, attributes: { 'retrieval.documents': 3 } },
        { spanId: 'c', parentSpanId: 'a', name: 'chat gpt-4o-mini', kind: 'llm', durationMs: 1520, attributes: { 'llm.model_name': 'gpt-4o-mini', 'llm.token_count.total': 812 } },
      ],
    },
  },
];

export const demoUsers = [
  { email: 'maya.manager@example.com', name: 'Maya Manager', password: 'demo-manager-1', role: 'manager' },
  { email: 'ari.annotator@example.com', name: 'Ari Annotator', password: 'demo-annotator-1', role: 'annotator' },
  { email: 'ana.annotator@example.com', name: 'Ana Annotator', password: 'demo-annotator-2', role: 'annotator' },
  { email: 'rui.reviewer@example.com', name: 'Rui Reviewer', password: 'demo-reviewer-1', role: 'reviewer' },
  { email: 'vic.viewer@example.com', name: 'Vic Viewer', password: 'demo-viewer-1', role: 'viewer' },
] as const;
