from tests import factories


def test_home_renders_in_chinese_by_default(client, app):
    factories.community("幸福社区")
    from consult.extensions import db
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'lang="zh-Hans"' in html
    assert "幸福社区" in html
