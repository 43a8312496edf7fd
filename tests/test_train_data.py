"""The reader's training data: cloze questions made from news sentences (qa/training/train_news.py), windows
with the answer at varied places, answer-phrase targets, frozen lower layers (qa/training/train_data.py,
qa/training/train_reader.py). No trained model: the sentences are written here; a token-length stub stands in for
the tokenizer, a tiny untrained network for the reader."""

import random

import numpy as np

from qa.training.train_data import NULL, Item, Paragraph, draw, make_examples, window_around
from qa.training.train_news import clozes, find_answers, make_question
from qa.training.train_reader import span_targets


def _answers(sentence: str) -> dict[str, tuple[str, str]]:
    """The first answer phrase found of each kind: kind -> (phrase, question word)."""
    found = {}
    for kind, a, b, word in find_answers(sentence):
        found.setdefault(kind, (sentence[a:b], word))
    return found


def test_numbers_keep_their_counted_noun():
    found = _answers("Năm đầu tiên dự thi Olympic, trường có 25 em đoạt huy chương ở 3 môn.")
    assert found["number"] == ("25 em", "bao nhiêu em")
    sentence = "Kim ngạch xuất khẩu 9 tháng ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ."
    numbers = [(sentence[a:b], word) for kind, a, b, word in find_answers(sentence) if kind == "number"]
    assert ("1,9 tỷ USD", "bao nhiêu") in numbers
    assert ("8,7%", "bao nhiêu phần trăm") in numbers


def test_numbers_that_are_names_or_addresses_are_not_amounts():
    kinds = [k for k, *_ in find_answers("Dịch Covid-19 lan tới ngõ 115 An Dương theo Chỉ thị 16 của Thủ tướng.")]
    assert "number" not in kinds


def test_dates_people_places_and_organisations():
    sentence = "Ngày 25/4, Công an tỉnh Hải Dương bắt quả tang 4 học sinh hút ma túy tại quán nước."
    assert _answers(sentence)["date"] == ("Ngày 25/4", "ngày nào")
    assert _answers("Theo bà Nguyễn Thị Lan, quỹ đã trao 300 suất quà cho học sinh nghèo.")["person"][0] == (
        "Nguyễn Thị Lan"
    )
    assert _answers("Các chuyên gia đã khảo sát nguồn nước ở Madagascar và nhiều nước khác.")["place"][0] == (
        "Madagascar"
    )
    assert _answers("Năm 2019, nghiên cứu được đăng trên tạp chí Maxim và gây chú ý.")["organization"] == (
        "Maxim",
        "tạp chí nào",
    )


def test_question_asks_without_giving_the_answer():
    rng = random.Random(0)
    sentence = "Ngày 25/4, Công an tỉnh Hải Dương bắt quả tang 4 học sinh hút ma túy tại quán nước."
    for kind, a, b, word in find_answers(sentence):
        question = make_question(sentence, kind, a, b, word, rng)
        if question is None:
            continue
        assert sentence[a:b].lower() not in question.lower(), (kind, question)
        assert word.split()[0] in question.lower() or kind == "date"
    question = make_question(sentence, "date", 0, 9, "ngày nào", random.Random(3))
    assert question.endswith("vào ngày nào?") or question.endswith("vao ngay nao")


def test_clozes_point_at_their_sentence_and_phrase():
    text = (
        "Vinamilk dẫn đầu bảng xếp hạng thương hiệu năm 2020. "
        "Đến nay, Vinamilk đã ủng hộ tổng cộng gần 40 tỷ đồng cho hoạt động phòng chống dịch bệnh."
    )
    spans = [(0, 52), (53, len(text))]
    made = clozes(text, spans, random.Random(1), per_passage=5)
    assert made
    for c in made:
        a, b = spans[c.sentence]
        assert a <= c.answer[0] < c.answer[1] <= b
        assert text[c.answer[0] : c.answer[1]] not in c.question


def _paragraph(n: int) -> Paragraph:
    sentences = [f"Câu số {i} nói về một việc." for i in range(n)]
    text = " ".join(sentences)
    spans, at = [], 0
    for s in sentences:
        spans.append((at, at + len(s)))
        at += len(s) + 1
    return Paragraph(text, spans, [8] * n)


def test_windows_put_the_answer_anywhere():
    p = _paragraph(12)
    rng = random.Random(0)
    places = [window_around(p, 40, 6, rng) for _ in range(200)]
    positions = {6 - w.key[1] for w in places}
    assert all(w.spans[6 - w.key[1]] for w in places)  # the answer sentence is always inside
    assert len(positions) >= 4  # first, middle, last…
    counts = np.bincount(list(6 - w.key[1] for w in places))
    assert counts.max() < 0.5 * len(places)
    w = window_around(p, 40, None, rng, avoid=3)
    assert w is not None and not (w.key[1] <= 3 < w.key[1] + len(w.spans))


def test_news_items_give_tempting_negatives():
    p, rest = _paragraph(4), _paragraph(3)
    item = Item("Câu số 2 nói gì?", p, 2, "news", [], answer="Câu số 2", span=(p.spans[2][0], p.spans[2][0] + 8))
    item.rest = [rest]

    class Tokens:
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": [0] * len(text.split())}

    examples = make_examples([item] * 50, Tokens(), random.Random(0))
    positives = [e for e in examples if e.target >= 0]
    assert positives and all(e.window.text[e.span[0] : e.span[1]] == "Câu số 2" for e in positives)
    assert any(e.target == NULL and e.source == "news-rest" for e in examples)


def test_span_targets_are_the_tokens_of_the_phrase():
    offsets = np.array([[-1, -1], [0, 3], [4, 7], [8, 12], [13, 16], [-1, -1]])
    assert span_targets(offsets, (4, 12)) == (2, 3)
    assert span_targets(offsets, (5, 6)) == (2, 2)
    assert span_targets(offsets, (30, 40)) == (-1, -1)
    assert span_targets(offsets, None) == (-1, -1)


def test_draw_caps_each_source():
    p = _paragraph(2)
    items = [Item("q", p, 0, "news", []) for _ in range(30)] + [Item("q", p, 0, f"xquad-{x}", []) for x in "abc" * 5]
    drawn = draw(items, random.Random(0), {"news": 10, "xquad": 4})
    assert sum(it.source == "news" for it in drawn) == 10
    assert sum(it.source.startswith("xquad-") for it in drawn) == 4


def test_kind_swap_asks_what_the_passage_does_not_give():
    from qa.training.train_news import Cloze, kind_swap

    text = "Vụ giẫm đạp khiến ít nhất 38 người chết và hơn 100 người bị thương trong lễ hội."
    spans = [(0, len(text))]
    a = text.index("ít nhất 38 người")
    cloze = Cloze("Vụ giẫm đạp khiến bao nhiêu người chết?", "number", 0, (a, a + len("ít nhất 38 người")))
    swapped = {kind_swap(text, spans, cloze, random.Random(seed)) for seed in range(10)}
    assert swapped <= {
        "Vụ giẫm đạp khiến ít nhất 38 người chết và hơn 100 người bị thương trong lễ hội vào ngày nào?",
        "Vụ giẫm đạp khiến ít nhất 38 người chết và hơn 100 người bị thương trong lễ hội ở đâu?",
    }
    dated = "Ngày 25/4, tại lễ hội ở Israel, vụ giẫm đạp khiến ít nhất 38 người chết."
    b = dated.index("ít nhất")
    cloze = Cloze("q", "number", 0, (b, b + len("ít nhất 38 người")))
    assert kind_swap(dated, [(0, len(dated))], cloze, random.Random(0)) is None  # it has a date and a place


def test_the_calibration_reads_held_out_paragraphs_only_and_the_same_ones_each_time():
    """`held_out` (used by `train-reader` and `recalibrate` alike): the held-out items' paragraphs are
    never trained on, at most `count` of them are read, the same ones for the same seed."""
    from types import SimpleNamespace

    from qa.training.calibrate import held_out

    items = [SimpleNamespace(paragraph=SimpleNamespace(key=f"{i * 2654435761 % 2**32:08x}{i}")) for i in range(3000)]
    train, held = held_out(items, seed=0, count=100)
    assert len(held) == 100 and len(train) + 100 < len(items)  # the rest of the held-out paragraphs: unused
    assert not {it.paragraph.key for it in train} & {it.paragraph.key for it in held}
    assert held == held_out(items, seed=0, count=100)[1] and held != held_out(items, seed=1, count=100)[1]


def test_frozen_layers_get_no_gradient_and_the_rest_learn():
    """`newsqa train-reader --frozen N`: the embeddings and the lower N layers keep the base weights."""
    import torch
    from transformers import BertConfig

    from qa.answering.reader_net import build_net
    from qa.training.train_reader import freeze_lower

    torch.manual_seed(0)
    config = BertConfig(vocab_size=2, hidden_size=16, num_hidden_layers=4, num_attention_heads=2, intermediate_size=32)
    net = build_net(config)
    freeze_lower(net, 3)
    logits, spans = net(torch.randn(2, 5, 16), torch.ones(2, 5), torch.zeros(2, 5, dtype=torch.long), 1)
    (logits.sum() + spans.sum()).backward()
    layers = net.bert.encoder.layer
    assert all(p.grad is None for layer in layers[:3] for p in layer.parameters())
    assert all(p.grad is None for p in net.bert.embeddings.parameters())
    assert all(p.grad is not None for p in layers[3].parameters())
    assert all(p.grad is not None for p in net.head.parameters())
