from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("photos/<int:pk>/similar/", views.similar_page, name="similar"),
]
