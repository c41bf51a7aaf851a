// parse.mjs prints, as JSON, what UI-TARS's own action parser (the npm package
// @ui-tars/action-parser, used by UI-TARS-desktop) makes of every reply in
// ../uitars/*.txt, with coordinates converted to screen pixels. Its output is
// reference.json, which models/differential_test.go compares deskhand's parser with.
//
//   npm ci && node parse.mjs > reference.json
//
// Files named 10-*.txt are UI-TARS v1 replies (coordinates 0..1000: factors 1000);
// the others are UI-TARS-1.5 replies in pixels of the image the model saw, so the
// factors are that image's size. modelVer stays '1.0' on purpose: with '1.5' the
// package recomputes the image size from the screen with Hugging Face's 12.8 MP cap,
// which is not the image Ollama's model saw (that mismatch is the "clicks are off"
// bug class of UI-TARS-desktop#590/#591).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { actionParser } = require('@ui-tars/action-parser');
const { version } = require('@ui-tars/action-parser/package.json');

const corpus = new URL('../uitars/', import.meta.url);
const scenarios = [
  { name: '1920x1080', screen: [1920, 1080], image: [1904, 1064] },
  { name: '2560x1440', screen: [2560, 1440], image: [1904, 1064] },
];

// The package logs every action it cannot parse with console.error; the result
// already says so (an empty action_type or missing inputs).
console.error = () => {};

const files = {};
for (const name of readdirSync(corpus).filter((f) => f.endsWith('.txt')).sort()) {
  const prediction = readFileSync(new URL(name, corpus), 'utf8');
  const relative = name.startsWith('10-');
  files[name] = {};
  for (const s of scenarios) {
    let parsed;
    try {
      ({ parsed } = actionParser({
        prediction,
        factor: relative ? [1000, 1000] : s.image,
        screenContext: { width: s.screen[0], height: s.screen[1] },
        scaleFactor: 1,
        modelVer: '1.0',
      }));
    } catch (e) {
      parsed = { error: String(e) };
    }
    files[name][s.name] = parsed;
  }
}

const out = {
  parser: `@ui-tars/action-parser@${version}`,
  modelVer: '1.0',
  scenarios,
  files,
};
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
