from django.urls import path

from camera import views

app_name = "camera"

urlpatterns = [
    path("camera/", views.camera, name="camera"),
]
