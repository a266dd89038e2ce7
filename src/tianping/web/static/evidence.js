// Evidence vault pages (电子存证): SHA-256 of a file computed on the user's machine, so that it is
// never uploaded for verification or for a hash-only registration.
//
// WebCrypto (crypto.subtle.digest) does the work where the browser offers it: it is only available
// in secure contexts (HTTPS, localhost), so an intranet served over plain HTTP falls back to the
// incremental SHA-256 below (FIPS 180-4), which also hashes files in chunks with a progress figure.
// Forms work without this script too: the verify form then uploads the file, the registration form
// takes a digest pasted by hand.

const CHUNK = 4 * 1024 * 1024;
const SUBTLE_MAX = 512 * 1024 * 1024; // subtle.digest needs the whole file in memory

function firstPrimes(n) {
  const primes = [];
  for (let k = 2; primes.length < n; k++) {
    if (primes.every((p) => k % p !== 0)) primes.push(k);
  }
  return primes;
}

// FIPS 180-4 §4.2.2 and §5.3.3: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes (round constants) and of the square roots of the first 8 primes (initial hash).
const fraction32 = (x) => Math.floor((x - Math.floor(x)) * 0x100000000) >>> 0;
const PRIMES = firstPrimes(64);
const K = Uint32Array.from(PRIMES, (p) => fraction32(Math.cbrt(p)));
const H0 = Uint32Array.from(PRIMES.slice(0, 8), (p) => fraction32(Math.sqrt(p)));

const rotr = (x, n) => (x >>> n) | (x << (32 - n));

export class Sha256 {
  constructor() {
    this.h = Uint32Array.from(H0);
    this.w = new Uint32Array(64);
    this.pending = new Uint8Array(64);
    this.pendingLength = 0;
    this.length = 0; // bytes hashed so far
  }

  update(data) {
    let offset = 0;
    this.length += data.length;
    if (this.pendingLength > 0) {
      const take = Math.min(64 - this.pendingLength, data.length);
      this.pending.set(data.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < 64) return this;
      this.block(this.pending, 0);
      this.pendingLength = 0;
    }
    for (; offset + 64 <= data.length; offset += 64) this.block(data, offset);
    if (offset < data.length) {
      this.pending.set(data.subarray(offset), 0);
      this.pendingLength = data.length - offset;
    }
    return this;
  }

  block(bytes, at) {
    const w = this.w;
    for (let t = 0; t < 16; t++) {
      const i = at + 4 * t;
      w[t] = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15];
      const y = w[t - 2];
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, h] = this.h;
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    const state = this.h;
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
  }

  hexdigest() {
    const bits = this.length * 8;
    const tail = new Uint8Array(this.pendingLength < 56 ? 64 : 128);
    tail.set(this.pending.subarray(0, this.pendingLength));
    tail[this.pendingLength] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(tail.length - 4, bits >>> 0);
    for (let at = 0; at < tail.length; at += 64) this.block(tail, at);
    return Array.from(this.h, (x) => x.toString(16).padStart(8, "0")).join("");
  }
}

export function sha256Hex(bytes) {
  return new Sha256().update(bytes).hexdigest();
}

const toHex = (buffer) => Array.from(new Uint8Array(buffer), (x) => x.toString(16).padStart(2, "0")).join("");

export async function sha256File(file, onProgress = () => {}, { allowSubtle = true } = {}) {
  if (allowSubtle && globalThis.crypto && crypto.subtle && file.size <= SUBTLE_MAX) {
    onProgress(null);
    return toHex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
  }
  const hash = new Sha256();
  for (let at = 0; at < file.size; at += CHUNK) {
    hash.update(new Uint8Array(await file.slice(at, at + CHUNK).arrayBuffer()));
    onProgress(Math.min(100, Math.round(((at + CHUNK) * 100) / file.size)));
  }
  return hash.hexdigest();
}

function progressText(percent) {
  return percent === null ? "正在本机计算文件摘要…" : `正在本机计算文件摘要… ${percent}%`;
}

// The verify form: the file's digest replaces the file, which is then left out of the upload.
function enhanceVerifyForm(form) {
  const source = form.querySelector("[data-ev-hash-source]");
  const digest = form.querySelector("[data-ev-digest]");
  const status = form.querySelector("[data-ev-hash-status]");
  const button = form.querySelector("button[type=submit]");
  source.addEventListener("change", () => {
    status.textContent = source.files.length ? "核验时将在本机计算该文件的摘要，文件不会上传。" : "";
  });
  form.addEventListener("submit", async (event) => {
    digest.value = "";
    if (!source.files.length) return;
    event.preventDefault();
    button.disabled = true;
    try {
      digest.value = await sha256File(source.files[0], (p) => {
        status.textContent = progressText(p);
      });
      source.disabled = true; // disabled inputs are not submitted: the file stays here
      status.textContent = "已在本机计算文件摘要，正在核验…";
    } catch (error) {
      status.textContent = "浏览器无法计算摘要，将把文件上传到服务器计算（不保存）。";
    }
    form.submit();
  });
}

// The registration form: the digest (and size) of a file that is never part of the form.
function enhanceRegisterForm(form) {
  const source = form.querySelector("[data-ev-hash-source]");
  const digest = form.querySelector("[data-ev-digest]");
  const size = form.querySelector("[data-ev-size]");
  const status = form.querySelector("[data-ev-hash-status]");
  let pending = null;
  source.addEventListener("change", () => {
    if (!source.files.length) return;
    const file = source.files[0];
    digest.value = "";
    size.value = "";
    pending = sha256File(file, (p) => {
      status.textContent = progressText(p);
    })
      .then((hex) => {
        digest.value = hex;
        size.value = String(file.size);
        status.textContent = `已在本机算出摘要（${file.size.toLocaleString("zh-CN")} 字节），文件未上传。`;
      })
      .catch(() => {
        status.textContent = "浏览器无法读取该文件，请改用 tianping evidence hash 计算摘要后粘贴。";
      })
      .finally(() => {
        pending = null;
      });
  });
  digest.addEventListener("input", () => {
    size.value = ""; // a pasted digest is not the chosen file's
  });
  form.addEventListener("submit", async (event) => {
    if (!pending) return;
    event.preventDefault();
    await pending;
    form.submit();
  });
}

function restore() {
  // Coming back through the history: inputs disabled before the last submission work again.
  for (const input of document.querySelectorAll("[data-ev-hash-source]")) input.disabled = false;
  for (const button of document.querySelectorAll("form button[type=submit]")) button.disabled = false;
}

for (const form of document.querySelectorAll("form[data-ev-verify]")) enhanceVerifyForm(form);
for (const form of document.querySelectorAll("form[data-ev-register]")) enhanceRegisterForm(form);
for (const button of document.querySelectorAll("[data-ev-print]")) {
  button.addEventListener("click", () => window.print());
}
window.addEventListener("pageshow", restore);
window.addEventListener("beforeprint", () => {
  for (const details of document.querySelectorAll(".ev-printable details")) details.open = true;
});
globalThis.tianpingEvidence = { Sha256, sha256Hex, sha256File };
