from wordfreq.counter import frequencies, top_words, words

TEXT = "The cat sat. The cat ran! A dog ran, and the dog's cat sat on the mat."


def test_words_skip_stopwords():
    assert words("The dog's bone is big") == ["dog's", "bone", "big"]
    assert words("It is", keep_stopwords=True) == ["it", "is"]


def test_top_words_most_frequent_first():
    assert top_words(TEXT, 3) == [("cat", 3), ("ran", 2), ("sat", 2)]


def test_top_words_ties_alphabetical():
    assert top_words("pear fig apple fig pear kiwi", 2) == [("fig", 2), ("pear", 2)]


def test_frequencies():
    assert frequencies("red blue red red") == {"blue": 0.25, "red": 0.75}
