from django.urls import path

from faces import views

app_name = "faces"

urlpatterns = [
    path("faces/label/", views.label, name="label"),
]
