"""The trained reader (qa/answering/reader_model) on small made-up passages: real model, no index.

`ReaderAnswerer` (qa/answering/reader_answerer.py, NEWSQA_ANSWERER=reader) ranks sentences as the rules do plus the
reader's score, and refuses below the reader's answerability threshold.
"""

import numpy as np
import pytest

from ingest.store import Key
from qa.answering.answerer import (
    ExtractiveAnswerer,
    closes_quote,
    missing_names,
    opens_quote,
    question_names,
    with_cause_before,
    with_speaker_after,
)
from qa.answering.reader_answerer import AnswerSettings, ReaderAnswerer, phrase_fits_read
from qa.retrieval.retriever import Hit, Retrieval


@pytest.fixture(scope="module")
def reader():
    from qa.answering.reader import ARTEFACT, load_reader

    if not (ARTEFACT / "model.safetensors").exists():
        pytest.fail(f"{ARTEFACT} is missing: run `newsqa train-reader`")
    return load_reader()


def _hit(embedder, id_: str, sentences: list[str], dense: float = 0.8) -> Hit:
    text = " ".join(sentences)
    spans, at = [], 0
    for s in sentences:
        spans.append((at, at + len(s)))
        at += len(s) + 1
    vectors = embedder.encode_documents(sentences)
    return Hit(id_, text, {}, dense, dense, 0.0, spans, vectors)


def _ask(embedder, reader, question: str, passages: list[list[str]]):
    hits = [_hit(embedder, f"p{i}", p, 0.85 - 0.01 * i) for i, p in enumerate(passages)]
    retrieval = Retrieval(hits, embedder.encode_queries([question])[0], lexical_weight=1.0)
    return ReaderAnswerer(reader=reader).answer(question, retrieval)


def _first(answer) -> str:
    return answer.answer.split(" [")[0]


QUANG_NGAI = [
    "Ngày 24/10, Bộ trưởng Bộ Ngoại giao Bùi Thanh Sơn đã tiếp đoàn công tác tỉnh Quảng Ngãi.",
    "Bí thư Tỉnh ủy Bùi Thị Quỳnh Vân dẫn đầu đoàn công tác của tỉnh.",
    "Bộ trưởng đề nghị tỉnh Quảng Ngãi mở rộng hợp tác với các đối tác châu Âu và Trung Đông.",
    "Quảng Ngãi mong muốn Bộ Ngoại giao tiếp tục hỗ trợ tỉnh quảng bá hình ảnh và thu hút đầu tư.",
]


@pytest.mark.xfail(
    reason="known gap: the 6-layer reader favours the first sentence of a window and misreads roles", strict=False
)
def test_who_asked_whom(embedder, reader):
    """Both sentences name the minister and the province; only one has the province asking."""
    answer = _ask(embedder, reader, "Quảng Ngãi đề nghị Bộ Ngoại giao điều gì?", [QUANG_NGAI])
    assert answer.found, answer.signals
    assert "mong muốn Bộ Ngoại giao" in _first(answer)

    answer = _ask(embedder, reader, "Who led the Quang Ngai delegation?", [QUANG_NGAI])
    assert answer.found, answer.signals
    assert "dẫn đầu" in _first(answer)


def test_tempting_number_is_refused(embedder, reader):
    """The passage is about the project, but gives no amount: asking for one must be refused."""
    passage = [
        "Dự án cao tốc Bắc - Nam đoạn qua tỉnh Quảng Ngãi được khởi công vào tháng 9.",
        "Tuyến đường dài 88 km, đi qua 7 huyện và thị xã của tỉnh.",
        "Chủ đầu tư cam kết hoàn thành dự án trước cuối năm 2025.",
    ]
    answer = _ask(embedder, reader, "Tổng vốn đầu tư của dự án là bao nhiêu tỷ đồng?", [passage])
    assert not answer.found, answer.signals
    assert answer.signals["confidence"] < answer.signals["threshold"]
    # the same passage does answer what it gives
    answer = _ask(embedder, reader, "Tuyến cao tốc qua Quảng Ngãi dài bao nhiêu km?", [passage])
    assert answer.found, answer.signals
    assert "88 km" in _first(answer)


def test_a_measure_no_passage_gives_is_refused(embedder, reader):
    """The passages tell of the tunnels and their discoverer, not how deep they are: "bao nhiêu mét"
    has no figure of a length to come from, whatever the reader's confidence."""
    passage = [
        "Nhà khảo cổ học Ahmed Saleh đã xác nhận sự tồn tại của các đường hầm bên dưới ngôi đền cổ.",
        "Ông cho biết các đường hầm được đào từ thời Trung Vương quốc và dẫn tới ba căn phòng.",
    ]
    answer = _ask(embedder, reader, "Các đường hầm bên dưới ngôi đền cổ sâu bao nhiêu mét?", [passage])
    assert not answer.found and answer.signals["missing_measure"] == "length", answer.signals
    answer = _ask(embedder, reader, "Ai đã xác nhận sự tồn tại của các đường hầm?", [passage])
    assert answer.found and "missing_measure" not in answer.signals, answer.signals
    deep = [*passage, "Đường hầm sâu nhất nằm ở độ sâu 35 m so với mặt đất."]
    answer = _ask(embedder, reader, "Các đường hầm bên dưới ngôi đền cổ sâu bao nhiêu mét?", [deep])
    assert answer.found and "35 m" in answer.answer, answer.signals


def test_a_measure_asked_leads_with_the_article_s_sentence_that_gives_it(embedder, reader):
    """The best sentence tells of the phone but not its price; the sentence of the same article that
    writes an amount of money leads. A sentence of another article does not."""
    phone = [
        "Nhắm đến phân khúc tầm trung, điện thoại Lotus X5 có màn hình 6,7 inch và bộ nhớ 128GB.",
        "Máy có hai màu trắng và đen, được bán với mức giá 9,49 triệu đồng.",
    ]
    question = "Điện thoại Lotus X5 được bán với giá bao nhiêu?"
    answer = _ask(embedder, reader, question, [phone])
    assert answer.found and "9,49 triệu đồng" in _first(answer), answer.answer
    other = ["Một mẫu máy khác của hãng được bán với mức giá 5,2 triệu đồng."]
    hits = [_hit(embedder, "a0", phone[:1], 0.86), _hit(embedder, "b0", other, 0.85)]
    hits[0].meta[Key.ARTICLE_ID], hits[1].meta[Key.ARTICLE_ID] = "a", "b"
    retrieval = Retrieval(hits, embedder.encode_queries([question])[0], lexical_weight=1.0)
    answer = ReaderAnswerer(reader=reader).answer(question, retrieval)
    assert "5,2 triệu" not in _first(answer), answer.answer
    # and with no price in the first sentence's article, the question is refused: the other
    # article's price is another phone's
    assert not answer.found and answer.signals["missing_measure"] == "money", answer.signals


@pytest.mark.parametrize(
    "question, names",
    [
        ("Ai là chủ tịch của TUMAS?", ["TUMAS"]),  # a question word opens it: no name
        ("Khi nào Quảng Ngãi đề nghị hỗ trợ?", ["Quảng Ngãi"]),
        # a first word no Vietnamese syllable spells is a name
        ("Turabi bố trí các sinh viên ở đâu?", ["Turabi"]),
        ("Keepmoat Homes thuê chuyên gia của tổ chức nào?", ["Keepmoat Homes"]),
    ],
)
def test_the_names_a_question_gives(question, names):
    assert question_names(question) == names


def test_a_name_opening_the_question_is_missing_from_a_passage_without_it():
    question = "Tesla kiếm tiền cho công việc của mình như thế nào?"
    assert missing_names(question, "Công ty kiếm tiền nhờ bán bằng sáng chế.") == ["Tesla"]
    assert missing_names(question, "Tesla kiếm tiền nhờ bán bằng sáng chế.") == []


def test_a_foreign_name_spelt_a_letter_apart_is_not_missing():
    """A translation or a user may spell a foreign name a letter apart from the article; a Vietnamese
    name a letter apart is another name."""
    assert missing_names("ARPNET bắt đầu hoạt động khi nào?", "ARPANET bắt đầu hoạt động năm 1969.") == []
    assert missing_names("Carslbad nằm ở đâu?", "Thành phố Carlsbad nằm ở California.") == []  # a swap
    question = "John Sheeshanks đã tặng bao nhiêu bức tranh?"
    assert missing_names(question, "Năm 1857, John Sheepshanks đã tặng 233 bức tranh.") == []
    assert missing_names(question, "Năm 1857, Mary Sheepshanks đã tặng 233 bức tranh.") == ["John Sheeshanks"]
    assert missing_names("Chủ tịch Sông Lam là ai?", "Chủ tịch Sông Lâm là ông Minh.") == []  # folded alike
    assert missing_names("Chủ tịch Sông Hàn là ai?", "Chủ tịch Sông Lam là ông Minh.") == ["Sông Hàn"]


def test_a_name_missing_from_the_first_sentence_s_article_is_refused(embedder, reader):
    """The best-ranked passage tells of a chairman, but of an association the question does not name;
    another article names it. The answer would come from the first article: refused, with the
    name missing. With the name in the first article's passage it is answered."""
    question = "Ai là chủ tịch của hiệp hội Sông Lam?"
    first = ["Ông Trần Văn Minh được bầu làm chủ tịch hiệp hội doanh nghiệp của tỉnh."]
    other = ["Hiệp hội Sông Lam tổ chức đại hội thường niên tại Vinh."]

    def ask(passage):
        hits = [_hit(embedder, "a0", passage, 0.86), _hit(embedder, "b0", other, 0.85)]
        hits[0].meta[Key.ARTICLE_ID], hits[1].meta[Key.ARTICLE_ID] = "a", "b"
        retrieval = Retrieval(hits, embedder.encode_queries([question])[0], lexical_weight=1.0)
        return ReaderAnswerer(reader=reader).answer(question, retrieval)

    answer = ask(first)
    assert not answer.found and answer.signals.get("missing_names") == ["Sông Lam"], answer.signals
    named = ["Ông Trần Văn Minh được bầu làm chủ tịch hiệp hội Sông Lam của tỉnh."]
    answer = ask(named)
    assert "missing_names" not in answer.signals, answer.signals


def test_a_count_asked_leads_with_the_sentence_that_counts_it(embedder, reader):
    """The sentence closest to the question counts subjects, not pupils; the one that counts the
    pupils ("25 em") leads. A count the question gives itself ("4 khe loa") does not answer it."""
    passage = [
        "Năm đầu tiên dự thi Olympic tỉnh, các em học sinh của trường đoạt huy chương ở cả 3 môn.",
        "Trong 27 em tham gia năm ấy, có 25 em mang về huy chương, nhất toàn đoàn.",
    ]
    answer = _ask(embedder, reader, "Năm đầu tiên dự thi Olympic tỉnh, có bao nhiêu em đoạt huy chương?", [passage])
    assert answer.found and "25 em" in _first(answer), answer.answer
    tablet = ["Máy tính bảng Lotus T4 được thiết kế với 4 khe loa.", "Trên thực tế, máy chỉ có 2 loa ở đỉnh máy."]
    answer = _ask(embedder, reader, "Lotus T4 có 4 khe loa nhưng thực tế có mấy loa?", [tablet])
    assert answer.found and "2 loa" in _first(answer), answer.answer


def test_a_counted_list_leads_with_the_sentence_that_lists_it(embedder, reader):
    """Asked four measures, the sentence closest to the question (the experts' advice, which has no room
    for four) gives way to the one that lists four, parted by semicolons; asked three names, to the
    one that lists three between commas before "hay"."""
    passage = [
        "Các chuyên gia y tế khuyến cáo: Hiện nay, chưa có vắc xin phòng bệnh tay chân miệng ở trẻ.",
        "Vì vậy, cần vệ sinh nhà cửa sạch sẽ; rửa tay bằng xà phòng; khử trùng đồ chơi; cho trẻ ăn chín uống sôi.",
        "Bệnh cần được phát hiện sớm để tránh biến chứng nguy hiểm.",
    ]
    question = "Khi chưa có vắc xin, chuyên gia y tế khuyến cáo 4 biện pháp nào để phòng bệnh tay chân miệng ở trẻ?"
    answer = _ask(embedder, reader, question, [passage])
    assert answer.found and "khử trùng đồ chơi" in _first(answer), (answer.answer, str(answer.signals))
    club = [
        "Câu lạc bộ Hải Phòng đã sa thải huấn luyện viên trưởng sau chuỗi 6 trận không thắng.",
        "Những cái tên được ban lãnh đạo nhắm tới lúc này là Chu Đình Nghiêm, Velizar Popov hay Kiatisak.",
    ]
    answer = _ask(embedder, reader, "Ban lãnh đạo Hải Phòng nhắm tới ba huấn luyện viên nào để thay thế?", [club])
    assert answer.found and "Velizar Popov" in _first(answer), answer.answer


def test_a_request_question_leads_with_a_sentence_that_tells_the_request(embedder, reader):
    """The best-ranked passage tells of the expert, not of his advice; the lead is the sentence of the
    same article that gives it ("Đừng …, hãy …"), not the story's first sentence (`qa.question.roles`)."""
    story = [
        "Chuyên gia bắt rắn Mark Pelley đã được một gia đình ở Brisbane gọi đến khi họ thấy một con rắn nâu trong bếp.",
        "Ông Pelley cho biết con rắn dài khoảng 1 m và đã được thả về rừng.",
    ]
    advice = [
        "Con rắn nâu là một trong những loài rắn độc nhất nước Úc.",
        '"Đừng bao giờ tự bắt rắn bằng tay hay bằng gậy, hãy gọi cho những người có chuyên môn".',
    ]
    question = "Chuyên gia bắt rắn Mark Pelley khuyên người dân làm gì khi thấy rắn trong nhà?"
    answer = _ask(embedder, reader, question, [story, advice])
    assert answer.found and "hãy gọi" in _first(answer), answer.answer


def test_a_birth_year_does_not_answer_when_an_event_happens(embedder, reader):
    """The sentence that names the guest and her birth year ("sinh năm 1996") dates no event; the one
    saying when the party was booked for answers "khi nào" (`qa.question.kinds.without_birth_dates`)."""
    passage = [
        "Người đặt 80 mâm cỗ cưới ở nhà hàng Hoa Sen là Lò Thị Mai (sinh năm 1996, trú tại bản Noong Bua).",
        "Theo đó, bữa tiệc được hẹn tổ chức vào trưa ngày 12/10/2020.",
    ]
    question = "Tiệc cưới 80 mâm mà Lò Thị Mai đặt ở nhà hàng Hoa Sen được hẹn tổ chức khi nào?"
    answer = _ask(embedder, reader, question, [passage])
    assert answer.found and "12/10/2020" in _first(answer), answer.answer


def test_a_question_asking_which_countries_leads_with_the_sentence_that_names_them(embedder, reader):
    """The sentence that repeats the question's words names no country but the question's own; the one
    naming two others answers "which countries" (`qa.question.kinds.names_country`)."""
    passage = [
        "Bộ Quốc phòng Indonesia cho biết nỗ lực tìm kiếm tàu ngầm mất tích đang được mở rộng với sự hỗ trợ quốc tế.",
        "Ngoài ra, Indonesia cũng đề nghị Singapore và Australia hỗ trợ vì hai nước có tàu cứu hộ tàu ngầm.",
    ]
    question = "Indonesia đã đề nghị những quốc gia nào hỗ trợ tìm kiếm tàu ngầm mất tích?"
    answer = _ask(embedder, reader, question, [passage])
    assert answer.found and "Singapore" in _first(answer), answer.answer


def test_a_name_the_first_sentence_does_not_give_is_refused(embedder, reader):
    """Asked the seller's name, a passage telling of the sale without naming the seller is refused;
    with the seller named it is answered."""
    passage = [
        "Nữ ca sĩ Lê Hoa vừa mua một căn biệt thự ở Đà Lạt với giá 10 triệu USD.",
        "Chủ cũ của căn biệt thự đã mua nó vào năm 2015 và nay bán lại cho Lê Hoa.",
    ]
    question = "Người chủ cũ bán căn biệt thự cho Lê Hoa tên là gì?"
    answer = _ask(embedder, reader, question, [passage])
    assert not answer.found and answer.signals.get("missing_fact") == "name", answer.signals
    named = [passage[0], "Chủ cũ của căn biệt thự, doanh nhân Trần Văn Minh, đã bán lại nó cho Lê Hoa."]
    answer = _ask(embedder, reader, question, [named])
    assert answer.found and "missing_fact" not in answer.signals, answer.signals


def test_best_sentence_among_distractors(embedder, reader):
    """The answer sentence sits among sentences on the same topic that echo the question's words."""
    passage = [
        "Giá vàng trong nước hôm nay tiếp tục tăng mạnh theo giá thế giới.",
        "Ngân hàng Nhà nước đã tổ chức phiên đấu thầu vàng miếng vào sáng thứ hai.",
        "Nhiều người dân xếp hàng mua vàng tại các cửa hàng ở Hà Nội.",
        "Giá trúng thầu thấp nhất là 85,3 triệu đồng mỗi lượng.",
        "Các chuyên gia khuyến cáo người dân thận trọng khi đầu tư vào vàng.",
    ]
    answer = _ask(embedder, reader, "Giá trúng thầu thấp nhất của phiên đấu thầu vàng là bao nhiêu?", [passage])
    assert answer.found, answer.signals
    assert "85,3 triệu" in _first(answer)
    assert 0.0 <= answer.signals["confidence"] <= 1.0


def test_first_sentence_comes_from_the_best_ranked_passage(embedder, reader):
    """Retrieval's ranking of passages (dense and lexical evidence together) is trusted for the
    first claim; the reader's scores choose the sentence within it."""
    best = ["Bí thư Tỉnh ủy Bùi Thị Quỳnh Vân dẫn đầu đoàn công tác tỉnh Quảng Ngãi.", "Đoàn làm việc trong hai ngày."]
    other = ["Phó Bí thư Tỉnh ủy Đặng Văn Minh cũng tham dự buổi làm việc với Bộ Ngoại giao."]
    answer = _ask(embedder, reader, "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?", [best, other])
    assert answer.found, answer.signals
    assert "dẫn đầu" in _first(answer) and answer.claims[0].source == 1


def test_a_lead_that_cannot_give_the_asked_kind_yields_to_its_article_s_other_passage(embedder, reader):
    """The best-ranked passage's best sentence gives only dates; the article's next passage gives
    the number asked, and scores higher: it leads. From another article it would not."""
    dates = [
        "Đợt tiêm vắc xin đợt 1 tại tỉnh Hòa Bình sẽ bắt đầu ngày 24/4 và kết thúc trước ngày 5/5.",
        "Ngành y tế đã chuẩn bị kỹ các phương án xử lý phản ứng sau tiêm.",
    ]
    number = ["Theo kế hoạch, trong đợt 1, tỉnh Hòa Bình sẽ tiêm 12.300 liều vắc xin do Bộ Y tế phân bổ."]
    question = "Trong đợt tiêm vắc xin đợt 1, tỉnh Hòa Bình sẽ tiêm bao nhiêu liều?"
    for article, leads in (("a", "12.300"), ("b", "ngày 5/5")):
        hits = [_hit(embedder, "a0", dates, 0.86), _hit(embedder, "x1", number, 0.85)]
        hits[0].meta[Key.ARTICLE_ID], hits[1].meta[Key.ARTICLE_ID] = "a", article
        retrieval = Retrieval(hits, embedder.encode_queries([question])[0], lexical_weight=1.0)
        answer = ReaderAnswerer(reader=reader).answer(question, retrieval)
        assert answer.found, answer.signals
        assert leads in _first(answer), (article, answer.answer)


def test_off_topic_english_question_is_refused(seeded, reader):
    """Over the seed articles, "the capital of Australia" fools the reader (a sentence names
    Australia), but the English question is far from every sentence (the cross-lingual cosine
    floor): refused. A question the articles answer passes the same floor."""
    from qa.question.query import analyse

    answerer = ReaderAnswerer(reader=reader)
    for question, found in [
        ("What is the capital of Australia?", False),
        ("Who led the Quang Ngai delegation?", True),
    ]:
        query = analyse(question)
        answer = answerer.answer(question, seeded.search.search(query, seeded.settings.k))
        assert answer.found is found, answer.signals
        assert answer.signals.get("far", False) is not found, answer.signals


def test_an_english_question_near_the_floor_is_answered_when_the_reader_is_sure(seeded, reader):
    """ "the first nine months" over the seed articles: its nearest sentence is under the floor, but
    the reader, reading the period in figures as the article writes it ("9 tháng"), is sure enough
    to make up for it; the first sentence gives the exports."""
    from qa.question.query import analyse

    answerer = ReaderAnswerer(reader=reader)
    question = "How much did exports grow in the first nine months?"
    answer = answerer.answer(question, seeded.search.search(analyse(question), seeded.settings.k))
    assert answer.found, answer.signals
    assert answer.signals["nearest_sentence"] < answerer.s.cross_floor
    assert "Kim ngạch xuất khẩu 9 tháng" in _first(answer), answer.answer


def test_a_sure_reader_makes_up_for_a_far_sentence():
    """Under the cross-lingual floor the nearest sentence's cosine and the reader's probability are
    weighed together: at 0.80 one half makes even odds; at 0.75 (2.5 log-odds less) 0.93 answers
    and 0.90 does not; no probability makes up for a sentence far enough."""
    from qa.answering.reader_answerer import far_across

    s = AnswerSettings()
    assert s.cross_even > s.cross_floor and s.cross_slope == 50.0
    assert not far_across(0.51, 0.80, s.cross_even, s.cross_slope)
    assert far_across(0.49, 0.80, s.cross_even, s.cross_slope)
    assert far_across(0.90, 0.75, s.cross_even, s.cross_slope)
    assert not far_across(0.93, 0.75, s.cross_even, s.cross_slope)
    assert far_across(0.999, 0.60, s.cross_even, s.cross_slope)


def test_an_english_question_weighs_the_reader_s_score_more(embedder, reader, monkeypatch):
    """Across languages the rules' word overlap matches nothing: the reader's sentence score joins
    the ranking at `cross_reader_weight` (0.03), three times its weight for a Vietnamese question."""
    import qa.answering.reader_answerer as reader_answerer

    bonuses = {}
    rank = reader_answerer.rank_sentences

    def spy(question, retrieval, searched="", bonus=None, **kwargs):
        bonuses[retrieval.english] = bonus(0, 1)
        return rank(question, retrieval, searched, bonus=bonus, **kwargs)

    monkeypatch.setattr(reader_answerer, "rank_sentences", spy)
    question = "Who led the Quang Ngai delegation?"
    hits = [_hit(embedder, "p0", QUANG_NGAI)]
    vector = embedder.encode_queries([question])[0]
    answerer = ReaderAnswerer(AnswerSettings(phrase_weight=0.0), reader=reader)  # the reader's score alone
    for english in (True, False):
        answerer.answer(question, Retrieval(hits, vector, lexical_weight=0.0, english=english))
    assert answerer.s.cross_reader_weight == 0.03 and answerer.s.reader_weight == 0.01
    assert bonuses[True] == pytest.approx(3 * bonuses[False]) and bonuses[False] != 0


EXPLOSION = [
    "Tối 3/5, người dân thị trấn Hòa Bình nghe thấy một tiếng nổ lớn kéo dài vài giây.",
    '"Chúng tôi cho rằng tiếng nổ ở thị trấn liên quan đến thời tiết.',
    'Không có dấu hiệu của động đất", chuyên gia khí tượng Trần Văn Minh nói.',
    "Cơ quan chức năng đang tiếp tục xác minh nguyên nhân.",
]


def test_a_sentence_whose_reader_s_phrase_gives_the_asked_fact_ranks_higher(embedder, reader, monkeypatch):
    """For a question asking a person, a number or a date, in the articles' language, a sentence read
    gains `phrase_weight` when the reader's phrase in it is such a fact and is not the question's own
    words ("Trần Văn Minh"), and loses it when not ("Chúng tôi", a pronoun); an English question's
    ranking has no such term (the reader's phrase across languages is unreliable)."""
    import qa.answering.reader_answerer as reader_answerer

    question = "Ai cho rằng tiếng nổ ở thị trấn Hòa Bình liên quan đến thời tiết?"
    hits = [_hit(embedder, "p0", EXPLOSION)]
    vector = embedder.encode_queries([question])[0]
    answerer = ReaderAnswerer(reader=reader)
    _, _, _, reads = answerer.score(question, hits, vector)
    fits = phrase_fits_read(question, reads)
    assert fits[(0, 2)] == 1.0 and fits[(0, 1)] == -1.0
    assert phrase_fits_read("Vì sao tiếng nổ xảy ra?", reads) == {}  # a reason: no typed fact

    bonuses = {}
    rank = reader_answerer.rank_sentences

    def spy(question, retrieval, searched="", bonus=None, **kwargs):
        bonuses[(answerer.s.phrase_weight, retrieval.english)] = bonus(0, 2) - bonus(0, 1)
        return rank(question, retrieval, searched, bonus=bonus, **kwargs)

    monkeypatch.setattr(reader_answerer, "rank_sentences", spy)
    for weight in (0.0, 0.02):
        answerer.s.phrase_weight = weight
        for english in (True, False):
            answerer.answer(question, Retrieval(hits, vector, lexical_weight=1.0, english=english))
    assert bonuses[(0.02, False)] - bonuses[(0.0, False)] == pytest.approx(0.04)
    assert bonuses[(0.02, True)] == pytest.approx(bonuses[(0.0, True)])


def test_scores_are_per_sentence_and_finite(reader):
    """Every sentence gets a finite score and the answer phrase lies in the sentence read."""
    from qa.answering.reader import Window

    text = "Hà Nội là thủ đô của Việt Nam. Thành phố có hơn 8 triệu dân."
    windows = [Window(text, [(0, 30), (31, len(text))])]
    (read,) = reader.score_windows("Dân số Hà Nội là bao nhiêu?", windows)
    assert read.scores.shape == (2,) and np.isfinite(read.scores).all()
    start, end, score = read.span(1)
    assert 31 <= start < end <= len(text) and np.isfinite(score)
    assert "8 triệu" in text[start:end]


def test_population_sentence_scores_higher(reader):
    """The sentence with the asked figure outscores a definition of the same subject (the reader trained
    on the doubled mix; the previous one failed here)."""
    from qa.answering.reader import Window

    text = "Hà Nội là thủ đô của Việt Nam. Thành phố có hơn 8 triệu dân."
    (read,) = reader.score_windows("Dân số Hà Nội là bao nhiêu?", [Window(text, [(0, 30), (31, len(text))])])
    assert read.scores[1] > read.scores[0]


def test_answer_marks_the_phrase(embedder, reader):
    """A factoid answer's first claim marks the phrase that answers (offsets into the claim text)."""
    passage = [
        "Dự án cao tốc Bắc - Nam đoạn qua tỉnh Quảng Ngãi được khởi công vào tháng 9.",
        "Tuyến đường dài 88 km, đi qua 7 huyện và thị xã của tỉnh.",
    ]
    answer = _ask(embedder, reader, "Tuyến cao tốc qua Quảng Ngãi dài bao nhiêu km?", [passage])
    span = answer.claims[0].answer_span
    assert span is not None and "88" in span["text"], answer.claims[0]
    assert answer.claims[0].text[span["start"] : span["end"]] == span["text"]
    assert answer.phrase() == span["text"]
    assert answer.plain_text().startswith("Trả lời: " + span["text"])


def test_answer_marks_the_reason_clause(embedder, reader):
    """A "why" question's first claim marks the clause after the sentence's reason word."""
    passage = [
        "Sân bay Phú Bài đóng cửa từ sáng nay.",
        "Nhiều chuyến bay bị hủy vì sương mù dày đặc bao phủ đường băng.",
    ]
    answer = _ask(embedder, reader, "Vì sao nhiều chuyến bay bị hủy?", [passage])
    assert answer.found, answer.signals
    assert answer.claims[0].text.startswith("Nhiều chuyến bay bị hủy"), answer.claims[0]
    assert answer.phrase() == "sương mù dày đặc bao phủ đường băng"


def test_a_why_answered_by_therefore_reads_the_sentence_before_it(embedder, reader):
    """A "why" question whose first sentence opens with a result word ("Vì vậy, …") gets the sentence
    before it, the cause that word points back to, in the same first claim."""
    passage = [
        "Sân bay Phú Bài thông báo lịch bay mới.",
        "Đêm qua, sương mù dày đặc bao phủ đường băng của sân bay.",
        "Vì vậy, nhiều chuyến bay sáng nay của sân bay Phú Bài bị hủy.",
    ]
    answer = _ask(embedder, reader, "Vì sao nhiều chuyến bay sáng nay của sân bay Phú Bài bị hủy?", [passage])
    assert answer.found, answer.signals
    assert _first(answer) == " ".join(passage[1:]), answer.answer
    hits = [_hit(embedder, "p0", passage)]
    assert with_cause_before("Vì sao nhiều chuyến bay bị hủy?", [(0, 2)], hits) == [(0, 1), (0, 2)]
    assert with_cause_before("Vì sao nhiều chuyến bay bị hủy?", [(0, 1), (0, 0)], hits) == [(0, 1), (0, 0)]
    assert with_cause_before("Chuyện gì xảy ra với các chuyến bay?", [(0, 2)], hits) == [(0, 2)]  # not "why"
    assert with_cause_before("Why were the flights cancelled?", [(0, 2), (0, 1)], hits) == [(0, 1), (0, 2)]


def test_a_who_answered_by_a_quote_reads_on_to_its_speaker(embedder, reader):
    """A "who" question whose first sentence opens a quotation it does not close gets the sentences up
    to the one that closes it, where news names the speaker, in the same first claim."""
    passage = [
        "Các nhà khoa học đã rà soát dữ liệu địa chấn.",
        '"Chúng tôi tin rằng các tiếng nổ bí ẩn liên quan đến khí quyển.',
        'Chúng tôi không nghĩ nó đến từ động đất", nhà nghiên cứu Eli Bird nói.',
        "Bí ẩn vẫn chưa có lời giải.",
    ]
    answer = _ask(embedder, reader, "Ai cho rằng các tiếng nổ bí ẩn liên quan đến khí quyển?", [passage])
    assert answer.found, answer.signals
    assert "Eli Bird" in _first(answer), answer.answer
    assert answer.phrase() == "Eli Bird"  # the speaker, not a phrase of the quote
    hits = [_hit(embedder, "p0", passage)]
    assert with_speaker_after("Ai cho rằng tiếng nổ liên quan đến khí quyển?", [(0, 1)], hits) == [(0, 1), (0, 2)]
    assert with_speaker_after("Who believes the booms are atmospheric?", [(0, 1), (0, 2)], hits) == [(0, 1), (0, 2)]
    assert with_speaker_after("Tiếng nổ liên quan đến gì?", [(0, 1)], hits) == [(0, 1)]  # not "who"
    assert with_speaker_after("Ai rà soát dữ liệu?", [(0, 0)], hits) == [(0, 0)]  # no quote opened
    assert opens_quote('"Tôi đi.') and opens_quote("\u201cTôi đi, tôi về.") and not opens_quote('"Tôi đi", ông nói.')
    assert not opens_quote('Ông nói: "Tôi đi.')  # the speaker comes first
    assert closes_quote("không nghĩ\u201d, ông nói.") and not closes_quote('"Chúng tôi tin rằng.')


def test_reader_without_span_head_still_answers(embedder, reader, tmp_path):
    """A reader folder of format 1 (trained before the answer-phrase head) loads and answers, and
    marks no phrase: an upgrade never breaks a user's own trained reader."""
    import json

    from safetensors.numpy import load_file, save_file

    from qa.answering.reader import ARTEFACT, load_reader

    state = {k: v for k, v in load_file(str(ARTEFACT / "model.safetensors")).items() if not k.startswith("span.")}
    save_file(state, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    meta = json.loads((ARTEFACT / "reader.json").read_text(encoding="utf-8"))
    meta["format"] = 1
    (tmp_path / "reader.json").write_text(json.dumps(meta), encoding="utf-8")
    old = load_reader(tmp_path)
    assert not old.has_span and reader.has_span
    passage = ["Tuyến đường dài 88 km, đi qua 7 huyện và thị xã của tỉnh."]
    hits = [_hit(embedder, "p0", passage)]
    question = "Tuyến đường dài bao nhiêu km?"
    answer = ReaderAnswerer(reader=old).answer(question, Retrieval(hits, embedder.encode_queries([question])[0], 1.0))
    assert answer.found and answer.claims[0].answer_span is None, answer.signals


def test_answer_phrase_is_not_the_question_s_own_words():
    """A phrase made only of the question's words is no answer ("Galaxy M51" for its price)."""
    from qa.question.phrase import phrase_fits

    question = "Galaxy M51 được bán với giá bao nhiêu?"
    assert not phrase_fits(question, "Galaxy M51")
    assert phrase_fits(question, "9,49 triệu đồng")


def test_typed_phrase_when_the_reader_s_phrase_is_of_another_kind():
    """When the reader's phrase does not give the kind asked, the patterns' phrase of that kind in
    the sentence is marked: the one overlapping the reader's phrase, else the first one that is not
    the question's own words."""
    from qa.question.phrase import typed_phrase

    question = "quang ngai xuat khau bao nhieu trong 9 thang dau nam 2023"
    text = "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ năm 2022."
    reader_phrase = (0, text.index(" 9 tháng"))  # "Kim ngạch xuất khẩu": not a number
    a, b = typed_phrase(question, text, reader_phrase)
    assert text[a:b] == "1,9 tỷ USD"
    a, b = typed_phrase(question, text, (text.index("8,7%") - 5, text.index("8,7%") + 2))
    assert text[a:b] == "8,7%"
    assert typed_phrase("Ai là Bí thư?", text, reader_phrase) is None


def test_an_english_question_is_not_answered_with_a_subheading(seeded, reader):
    """An English question cannot be compared word by word with a Vietnamese subheading: over the seed
    articles "Quảng Ngãi xác định 2 trọng tâm phát triển" (its own paragraph, no full stop) led the
    answer to "What are Quang Ngai's two development focuses?"; the sentence naming the two does."""
    from qa.answering.answerer import _subheading
    from qa.question.query import analyse

    text = "Quảng Ngãi xác định 2 trọng tâm phát triển\n\nTại buổi làm việc, bà Vân cho biết.\nTỉnh có KKT Dung Quất."
    heading, said, last = text.split("\n\n")[0], "Tại buổi làm việc, bà Vân cho biết.", "Tỉnh có KKT Dung Quất."
    assert _subheading(text, 0, len(heading))
    assert not _subheading(text, text.index(said), text.index(said) + len(said))  # a full stop
    assert not _subheading(text, text.index("bà Vân"), text.index(said) + len(said))  # not its own paragraph
    assert not _subheading(text, text.index(last), len(text))
    question = "What are Quang Ngai's two development focuses?"
    answer = ReaderAnswerer(reader=reader).answer(question, seeded.search.search(analyse(question), seeded.settings.k))
    assert _first(answer).startswith("Theo đó, tỉnh xác định hai trọng tâm phát triển"), answer.answer


def test_a_sentence_that_only_restates_the_question_does_not_lead(seeded, reader):
    """Over the seed articles, the subheading "Quảng Ngãi xác định 2 trọng tâm phát triển" says
    nothing the question does not (a count aside): the sentence that names the two leads."""
    from ingest.normalize import words
    from qa.answering.answerer import _restates
    from qa.question.query import analyse

    question = "Quảng Ngãi xác định những trọng tâm phát triển nào?"
    own = set(words(question))
    assert _restates("Quảng Ngãi xác định 2 trọng tâm phát triển", own)
    assert not _restates("Tỉnh xác định 2 trọng tâm phát triển là du lịch và lọc dầu.", own)
    for answerer in (ReaderAnswerer(reader=reader), ExtractiveAnswerer()):
        answer = answerer.answer(question, seeded.search.search(analyse(question), seeded.settings.k))
        assert _first(answer).startswith("Theo đó, tỉnh xác định hai trọng tâm phát triển"), answer.answer
