"""The similar-photos strip, the results page and the search page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
from gallery.processing import process_photo
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def photos(alice, add_photo):
    made = [add_photo(alice, seed=s, title=f"pic-{s}") for s in range(4)]
    for photo in made:
        process_photo(photo.pk)
    return made


def test_the_photo_page_shows_a_similar_strip_with_words_not_numbers(
    login, alice, photos, add_photo
):
    copy = add_photo(alice, data=images.jpeg(seed=0, quality=55), title="pic-copy")
    process_photo(copy.pk)
    html = login(alice).get(f"/photos/{photos[0].pk}/").content.decode()
    strip = html[html.index('id="similar"') :]
    assert "Similar colours" in strip and f"/photos/{photos[0].pk}/similar/" in strip
    assert all(f"pic-{s}" in strip for s in (1, 2, 3, "copy"))
    tile = strip[strip.index(f'data-photo="{copy.pk}"') :]
    tile = tile[: tile.index("</a>")]
    assert '<span class="tile-label">Near-identical</span>' in tile
    assert "score" not in strip


def test_the_strip_waits_for_processing(login, alice, add_photo):
    photo = add_photo(alice)
    html = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    assert "Available once the photo is processed." in html


def test_the_results_page_lists_photos(login, alice, photos):
    html = login(alice).get(f"/photos/{photos[1].pk}/similar/").content.decode()
    assert html.count('class="tile"') == 3


def test_results_without_a_similarity_word_come_under_less_alike(login, alice, photos, add_photo):
    copy = add_photo(alice, data=images.jpeg(seed=0, quality=55), title="pic-copy")
    process_photo(copy.pk)
    html = login(alice).get(f"/photos/{photos[0].pk}/similar/").content.decode()
    close, rest = html.split('id="less-alike"')
    assert "pic-copy" in close and "Near-identical" in close
    assert all(f"pic-{s}" in rest for s in (1, 2, 3)) and "tile-label" not in rest


def test_search_by_image_page(login, alice, photos):
    upload = SimpleUploadedFile("query.jpg", images.jpeg(seed=2), "image/jpeg")
    response = login(alice).post("/search/", {"image": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Same subject as your image" in html and "data:image/jpeg;base64," in html
    assert "Similar colours" in html
    assert html.index("pic-2") < html.index("pic-0")
    assert Photo.objects.count() == 4


def test_search_by_image_page_can_add_to_the_gallery(login, alice, photos):
    upload = SimpleUploadedFile("new.jpg", images.jpeg(seed=9), "image/jpeg")
    html = (
        login(alice).post("/search/", {"image": upload, "add": "1"}, follow=True).content.decode()
    )
    assert "is now in your gallery" in html and Photo.objects.count() == 5


def test_search_by_image_page_explains_bad_files(login, alice):
    upload = SimpleUploadedFile("q.jpg", b"text" * 40, "image/jpeg")
    response = login(alice).post("/search/", {"image": upload})
    assert response.status_code == 415  # the status of the error, as the API answers
    assert "This is not a JPEG, PNG or WebP image." in response.content.decode()


def test_anonymous_image_search_asks_to_log_in(login):
    upload = SimpleUploadedFile("q.jpg", images.jpeg(), "image/jpeg")
    assert login().post("/search/", {"image": upload}).status_code == 302


def test_search_by_colour_page(login, alice, photos):
    html = login(alice).get("/search/", {"color": "#336699"}).content.decode()
    assert "4 photos" in html and "most like" in html and html.count('class="tile"') == 4


def test_search_by_colour_page_explains_bad_colours(login):
    response = login().get("/search/", {"color": "nope"})
    assert response.status_code == 400 and "is not a colour" in response.content.decode()
