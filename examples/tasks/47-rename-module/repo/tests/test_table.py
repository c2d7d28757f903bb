from reportgen.table import render_table


def test_render_table():
    table = render_table(["city", "population"], [["Lyon", 522250], ["Saint-Étienne-du-Rouvray", 28641.5]], max_width=12, digits=1)
    assert table.splitlines() == [
        "city          population",
        "------------  ----------",
        "Lyon           522,250.0",
        "Saint-Étien…    28,641.5",
    ]
