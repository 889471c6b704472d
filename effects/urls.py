from django.urls import path

from effects import views

app_name = "effects"

urlpatterns = [
    path("photos/<int:pk>/variants/new", views.variant_create, name="variant-create"),
    path("variants/<int:pk>/file/<str:kind>", views.variant_file, name="variant-file"),
    path("variants/<int:pk>/delete", views.variant_remove, name="variant-delete"),
    path(
        "variants/<int:pk>/save-as-photo",
        views.variant_save_as_photo,
        name="variant-save-as-photo",
    ),
]
