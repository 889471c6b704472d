from django.urls import path

from gallery import views

app_name = "gallery"

urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("photos/<int:pk>/", views.photo_detail, name="photo"),
    path("photos/<int:pk>/file/<str:kind>", views.photo_file, name="photo-file"),
    path("photos/<int:pk>/update", views.photo_update, name="photo-update"),
    path("photos/<int:pk>/delete", views.photo_delete, name="photo-delete"),
    path("photos/<int:pk>/reprocess", views.photo_reprocess, name="photo-reprocess"),
    path("review/", views.moderation_queue, name="moderation"),
    path("review/decide", views.moderation_decide, name="moderation-decide"),
]
