/** Importing the model packages registers their variants in the shared registry (side effect). */
import '@nextnets/models-convnext';
import '@nextnets/models-rep';
import '@nextnets/models-efficient';
import '@nextnets/models-roadmap';
