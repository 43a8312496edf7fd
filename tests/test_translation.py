"""The English -> Vietnamese word list: what an English question is searched and ranked with, and how it is built."""

import json
import sys

import numpy as np
import pytest

from ingest.readers import Article
from qa.answering.answerer import content_words
from qa.question import translation
from qa.question.translation import figures_as_digits, vietnamese_words
from qa.retrieval.retriever import with_diacritics
from qa.training.lexicon import TRANSLATE_PROMPT, build, pair_words, parse_translations, translate_words


def test_an_english_question_s_words_get_vietnamese_ones():
    found = vietnamese_words("Which lawyer is helping the patient's family?")
    assert "luật sư" in found and "bệnh nhân" in found
    assert vietnamese_words("Which Lawyer?") == []  # a capitalised word may be a name: left as it is
    assert vietnamese_words("What is it?") == []


def test_the_hand_written_list_comes_before_the_model_s():
    """The model's list reads "minister" as "nhân viên" and has no "vaccine": the hand-written one
    gives the words Vietnamese news writes, and its terms of several words in any case."""
    assert translation._lexicon()["minister"] == "nhân viên"  # the model's, left as built
    assert vietnamese_words("What did the minister ask the province to do?")[:2] == ["bộ trưởng", "hỏi"]
    assert vietnamese_words("How many vaccine doses arrived?") == ["nhiều", "vắc xin", "liều", "đến"]
    assert vietnamese_words("Who is the Foreign Minister?") == ["bộ trưởng ngoại giao"]  # not "bộ trưởng" again
    assert vietnamese_words("What did the prime minister say?") == ["thủ tướng", "nói"]
    assert vietnamese_words("What did the People’s Committee decide?")[0] == "ủy ban nhân dân"
    assert "công viên" not in vietnamese_words("What did Park Hang-seo say?")  # a capitalised word: a name


def test_an_english_question_s_content_words_hold_the_vietnamese_syllables():
    assert {"luat", "su"} <= set(content_words("Which lawyer is helping the family?"))
    assert content_words("Luật sư nào giúp gia đình?") == ["luat", "su", "giup", "gia", "dinh"]


def test_an_english_question_s_places_get_their_vietnamese_names():
    """Countries, regions and the languages named after them are capitalised (the word list leaves them
    alone) and written in Vietnamese by the articles: their names come from the Unicode CLDR."""
    assert vietnamese_words("When did Denmark join the European Union?")[:2] == ["Đan Mạch", "Liên Minh Châu Âu"]
    assert vietnamese_words("What did Russia send to India?")[:2] == ["Nga", "Ấn Độ"]  # names first
    assert vietnamese_words("Which Japanese province signed it?")[0] == "Nhật"  # the language, as the country
    assert vietnamese_words("Who won in South Korea?")[0] == "Hàn Quốc"  # the longer name, not "Korea"
    assert "indonesia" not in translation.place_names()  # written the same: nothing to add
    assert {"dan", "mach"} <= set(content_words("When did Denmark join?"))


def test_an_english_question_s_names_get_the_diacritics_the_articles_write():
    """The model reads "Quang Ngai" as other words than "Quảng Ngãi": an English question's names of two
    capitalised words or more are written as the best passages write them, the longest that match."""
    texts = ["Bộ trưởng đề nghị tỉnh Quảng Ngãi cung cấp thông tin.", "Trường THPT Hồ Nghinh, ông Bùi Thanh Sơn"]
    assert with_diacritics("What did the minister ask Quang Ngai to do?", texts) == (
        "What did the minister ask Quảng Ngãi to do?"
    )
    assert with_diacritics("Did Bui Thanh Son visit Ho Nghinh High School?", texts) == (
        "Did Bùi Thanh Sơn visit Hồ Nghinh High School?"
    )
    assert with_diacritics("Where is Gia Lai?", ["Tỉnh Gia Lai"]) == "Where is Gia Lai?"  # written the same
    assert with_diacritics("Who is Nguyen Van A?", texts) == "Who is Nguyen Van A?"  # no passage writes it


def test_an_english_question_is_encoded_with_its_names_diacritics(fresh, monkeypatch):
    fresh.ingest([article("a", "Ngoại giao", "Bộ trưởng đề nghị tỉnh Quảng Ngãi cung cấp thông tin về các đối tác.")])
    search = fresh.search
    encoded = []
    encode = search.embedder.encode_queries
    monkeypatch.setattr(search.embedder, "encode_queries", lambda texts: encoded.extend(texts) or encode(texts))
    search.search("What did the minister ask Quang Ngai to do?")
    search.search("Bộ trưởng đề nghị Quang Ngai làm gì?")  # a Vietnamese question is read as typed
    assert encoded == ["What did the minister ask Quảng Ngãi to do?", "Bộ trưởng đề nghị Quang Ngai làm gì?"]


def test_an_english_period_is_read_in_figures():
    """Vietnamese news writes periods and shares in figures ("9 tháng đầu năm"): so is an English
    question's, for the reader; a count of things stays in words, as the articles often write it."""
    assert figures_as_digits("How much did exports grow in the first nine months?") == (
        "How much did exports grow in the first 9 months?"
    )
    assert figures_as_digits("Sales rose Five percent in two full years") == "Sales rose 5 percent in 2 full years"
    assert figures_as_digits("Which two dynasties?") == "Which two dynasties?"
    assert (
        figures_as_digits("Sau chín tháng, xuất khẩu tăng bao nhiêu?") == "Sau chín tháng, xuất khẩu tăng bao nhiêu?"
    )


def article(id_: str, title: str, text: str) -> Article:
    return Article(id=id_, title=title, text=text, source=f"/tmp/{id_}.txt", date="2024-05-01")


def test_the_lexical_search_finds_a_passage_by_a_translated_word(fresh, monkeypatch):
    fresh.ingest(
        [
            article("a", "Vụ kiện", "Luật sư Simon Laurent đang giúp gia đình giải quyết hồ sơ. Phiên xử kéo dài."),
            article("b", "Thời tiết", "Trời mưa to suốt ba ngày ở miền Trung. Nhiều tuyến đường bị ngập."),
        ]
    )
    search = fresh.search
    search.refresh()
    question = "Which lawyer is helping the family?"
    with_words = search.lexical_top(question, True, 10)
    monkeypatch.setattr(translation, "_lexicon", lambda: {})
    without = search.lexical_top(question, True, 10)
    lawyer = [i for i in with_words if search._chunks([i])[i].meta["article_id"] == "a"]
    assert lawyer and with_words[lawyer[0]] > without.get(lawyer[0], 0.0)


def test_a_pair_is_each_other_s_nearest():
    english = np.array([[1.0, 0.0, 0.0], [0.9, 0.436, 0.0], [0.0, 0.0, 1.0]])
    vietnamese = np.array([[1.0, 0.0, 0.0], [0.0, 0.6, 0.8], [0.0, 0.0, 1.0]])
    # English 1's nearest is Vietnamese 0, whose nearest is English 0: English 1 gets no word.
    assert [(i, j) for i, j, _ in pair_words(english, vietnamese)] == [(0, 0), (2, 2)]


@pytest.fixture
def tiny_train(tmp_path):
    def squad(contexts):
        return {"data": [{"paragraphs": [{"context": c, "qas": []} for c in contexts]}]}

    english = ["The lawyer met the patient in the mountain village with friends."] * 3
    vietnamese = ["Luật sư gặp bệnh nhân ở làng núi cùng bạn bè."] * 3
    for name in ("tydiqa-goldp-en/tydiqa.goldp.en.train.json", "squad2-train-head10/train-v2.0.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(json.dumps(squad(english)))
    name = "mlqa-test-vi-unlabeled/test-context-vi-question-de.json"
    (tmp_path / name).parent.mkdir(parents=True)
    vietnamese = [v.replace(".", f" {i}.") for i, v in enumerate(vietnamese)]  # distinct paragraphs
    (tmp_path / name).write_text(json.dumps(squad(vietnamese)), encoding="utf-8")
    return tmp_path


def test_the_word_list_is_built_from_training_text_with_the_embedding_model(tiny_train, embedder, tmp_path):
    out = tmp_path / "en_vi.json"
    built = build(tiny_train, embedder, out)
    assert json.loads(out.read_text(encoding="utf-8")) == built
    assert built["words"]["lawyer"] == "luật sư"
    assert set(built["words"]) <= {"lawyer", "met", "patient", "mountain", "village", "friends"}


def test_build_lexicon_names_the_missing_training_file(run, tmp_path):
    result = run("build-lexicon", "--train-dir", str(tmp_path), "--out", str(tmp_path / "en_vi.json"))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'tydiqa-goldp-en/tydiqa.goldp.en.train.json'} is absent. "
        "Give --train-dir DIR (the folder described in its README.md).\n"
    )
    assert not (tmp_path / "en_vi.json").exists()


def test_build_lexicon_writes_the_word_list(run, tiny_train, tmp_path):
    result = run("build-lexicon", "--train-dir", str(tiny_train), "--out", str(tmp_path / "en_vi.json"))
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "en_vi.json").read_text(encoding="utf-8"))["words"]["lawyer"] == "luật sư"
    assert "wrote" in result.output


def test_a_model_s_translations_are_read_from_its_lines():
    reply = (
        "mountain: núi\n2. village: làng, ngôi làng.\nfriends = bạn bè (plural)\nmet: met\n"
        "patient: người bệnh nhân đang điều trị ở viện\nlawyer: luật sư / thầy cãi\nother: khác"
    )
    found = parse_translations(reply, ["mountain", "village", "friends", "met", "patient", "lawyer"])
    # the first of several, without its note; not the word again, not an explanation, not a word not asked
    assert found == {"mountain": "núi", "village": "làng", "friends": "bạn bè", "lawyer": "luật sư"}


def test_a_translator_s_words_replace_the_embedding_pairs(tiny_train, embedder, tmp_path):
    """The model (a fake here: no language model runs in the tests) translates every English word, 40 to a
    prompt; its translation replaces the embedding pair, one that is English again is left out."""
    prompts = []

    def complete(prompt: str) -> str:
        prompts.append(prompt)
        asked = prompt.split("\n\n", 1)[1].split("\n")
        replies = {"mountain": "núi", "village": "ngôi làng", "met": "gặp", "friends": "friends met"}
        return "\n".join(f"{w}: {replies[w]}" for w in asked if w in replies)

    built = build(tiny_train, embedder, tmp_path / "en_vi.json", translate=lambda w: translate_words(w, complete))
    assert len(prompts) == 1 and prompts[0].startswith(TRANSLATE_PROMPT)
    words = built["words"]
    assert words["mountain"] == "núi" and words["village"] == "ngôi làng" and words["met"] == "gặp"
    assert words["lawyer"] == "luật sư"  # no translation: the pair stays
    assert words.get("friends") != "friends met"  # English words of the vocabulary
    assert "translated by a local instruct model" in built["about"]


def test_build_lexicon_says_how_to_get_the_translator_s_runtime(run, tiny_train, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # not installed: the tests never need it
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    result = run("build-lexicon", "--train-dir", str(tiny_train), "--translator", str(model))
    assert result.exit_code == 1
    assert result.output == (
        "Error: --translator needs llama-cpp-python: see ../shared/train/README.md section 6 for how to build it here.\n"
    )


def test_a_prompt_whose_answer_lost_the_format_is_asked_again_in_halves():
    words = [f"word{chr(97 + i)}" for i in range(12)]
    asked = []

    def complete(prompt: str) -> str:
        batch = prompt.split("\n\n", 1)[1].split("\n")
        asked.append(len(batch))
        if len(batch) > 6:
            return f"{batch[0]}: việt hóa: việt hóa: việt hóa"  # degenerate
        return "\n".join(f"{w}: từ" for w in batch)

    assert translate_words(words, complete) == {w: "từ" for w in words}
    assert asked == [12, 6, 6]
