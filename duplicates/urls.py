from django.urls import path

from duplicates import views

app_name = "duplicates"

urlpatterns = [
    path("duplicates/", views.review, name="review"),
    path("duplicates/keep", views.keep, name="keep"),
    path("duplicates/keep-suggested", views.keep_suggested, name="keep-suggested"),
    path("duplicates/not-duplicates", views.not_duplicates, name="not-duplicates"),
    path("duplicates/undo", views.undo, name="undo"),
]
