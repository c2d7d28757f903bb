import pytest

from gradebook import Gradebook, GradebookError, gpa, grade_points, letter, round_half_up

WEIGHTS = {"homework": 0.3, "quizzes": 0.2, "exam": 0.5}


@pytest.fixture
def book():
    b = Gradebook(WEIGHTS)
    for pts in (8, 10, 6):
        b.record("ana", "homework", pts, 10)
    b.record("ana", "quizzes", 18, 20)
    b.record("ana", "quizzes", 15, 20)
    b.record("ana", "exam", 88)
    b.record("ben", "homework", 10, 10)
    b.record("ben", "homework", 9, 10)
    b.record("ben", "exam", 90)
    b.record("cy", "exam", 70)
    return b


# -- scale ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "x, digits, expected",
    [(89.95, 1, 90.0), (89.94, 1, 89.9), (2.675, 2, 2.68), (0.05, 1, 0.1), (72.25, 1, 72.3), (3.0, 2, 3.0)],
)
def test_round_half_up(x, digits, expected):
    assert round_half_up(x, digits) == expected


@pytest.mark.parametrize(
    "score, grade",
    [(100, "A+"), (98.2, "A+"), (85, "B"), (72.4, "C-"), (89.94, "B+"), (59.9, "F"), (0, "F")],
)
def test_letter_inside_bands(score, grade):
    assert letter(score) == grade


@pytest.mark.parametrize("score, grade", [(97, "A+"), (93, "A"), (90, "A-"), (80, "B-"), (60, "D-")])
def test_letter_on_cutoff(score, grade):
    assert letter(score) == grade


def test_letter_rounds_up_to_cutoff():
    assert letter(89.95) == "A-"


@pytest.mark.parametrize("score", [-0.1, 100.5])
def test_letter_out_of_range(score):
    with pytest.raises(ValueError):
        letter(score)


def test_grade_points():
    assert grade_points("B+") == 3.3
    assert grade_points(" a- ") == 3.7
    assert grade_points("F") == 0.0


def test_grade_points_unknown():
    with pytest.raises(ValueError):
        grade_points("E")


def test_gpa():
    assert gpa([("A", 3), ("B+", 4), ("C", 3)]) == 3.12


def test_gpa_empty_and_zero_credit():
    assert gpa([]) == 0.0
    assert gpa([("A", 0)]) == 0.0


def test_gpa_negative_credits():
    with pytest.raises(ValueError):
        gpa([("A", -1)])


# -- gradebook --------------------------------------------------------------------------------

@pytest.mark.parametrize("weights", [{}, {"a": 0.5, "b": 0.6}, {"a": 1.2, "b": -0.2}])
def test_bad_weights(weights):
    with pytest.raises(GradebookError):
        Gradebook(weights)


def test_record_validation(book):
    with pytest.raises(GradebookError):
        book.record("ana", "labs", 5)
    with pytest.raises(GradebookError):
        book.record("ana", "exam", 5, out_of=0)
    with pytest.raises(GradebookError):
        book.record("ana", "exam", -1)


def test_students_sorted(book):
    assert book.students == ["ana", "ben", "cy"]


def test_category_percent(book):
    assert book.category_percent("ana", "homework") == pytest.approx(80.0)
    assert book.category_percent("ana", "quizzes") == pytest.approx(82.5)
    assert book.category_percent("ben", "quizzes") is None
    assert book.category_percent("zoe", "exam") is None


def test_category_percent_drop_lowest(book):
    assert book.category_percent("ana", "homework", drop_lowest=1) == pytest.approx(90.0)
    # never drops the only item
    assert book.category_percent("ana", "exam", drop_lowest=1) == pytest.approx(88.0)


def test_category_percent_weights_by_points():
    b = Gradebook({"work": 1.0})
    b.record("x", "work", 1, 2)
    b.record("x", "work", 90, 100)
    assert b.category_percent("x", "work") == pytest.approx(91 / 102 * 100)


def test_final_score(book):
    assert book.final_score("ana") == 84.5


def test_final_score_rescales_missing_category(book):
    assert book.final_score("ben") == 91.9


def test_final_score_single_item(book):
    assert book.final_score("cy") == 70.0


def test_final_score_drop_lowest(book):
    assert book.final_score("ana", drop_lowest=1) == 89.0
    assert book.final_score("ben", drop_lowest=1) == 93.8


def test_final_score_unknown_student(book):
    assert book.final_score("zoe") is None


def test_final_score_capped_at_100():
    b = Gradebook({"work": 1.0})
    b.record("x", "work", 12, 10)
    assert b.final_score("x") == 100.0


def test_final_letter(book):
    assert book.final_letter("ana") == "B"
    assert book.final_letter("ben") == "A-"
    assert book.final_letter("zoe") is None


def test_final_letter_on_cutoff(book):
    assert book.final_letter("cy") == "C-"
    assert book.final_letter("ben", drop_lowest=1) == "A"


def test_report(book):
    assert book.report() == [("ben", 91.9, "A-"), ("ana", 84.5, "B"), ("cy", 70.0, "C-")]


def test_report_ties_by_name():
    b = Gradebook({"exam": 1.0})
    for name in ("zed", "amy", "max"):
        b.record(name, "exam", 75)
    assert [r[0] for r in b.report()] == ["amy", "max", "zed"]


def test_distribution(book):
    assert book.distribution(drop_lowest=1) == {"A": 1, "B+": 1, "C-": 1}
